//! SOAP notes (2号用紙). A draft may be edited; a signed note never is. It is amended by a new
//! version that names the one it replaces (真正性・見読性・保存性).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use super::validation::{bounded_text, invalid, Check, Checker, Field, FieldError, Problem, Valid};

const MAX_SECTION_CHARS: usize = 20_000;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SoapText {
    pub subjective: String,
    pub objective: String,
    pub assessment: String,
    pub plan: String,
}

impl SoapText {
    /// Validates the four sections, reporting every bad one at once.
    pub fn build(s: &str, o: &str, a: &str, p: &str) -> Valid<Self> {
        let mut checks = Checker::new();
        let subjective = checks.take(bounded_text(Field::Subjective, s, MAX_SECTION_CHARS));
        let objective = checks.take(bounded_text(Field::Objective, o, MAX_SECTION_CHARS));
        let assessment = checks.take(bounded_text(Field::Assessment, a, MAX_SECTION_CHARS));
        let plan = checks.take(bounded_text(Field::Plan, p, MAX_SECTION_CHARS));
        let (Some(subjective), Some(objective), Some(assessment), Some(plan)) =
            (subjective, objective, assessment, plan)
        else {
            return checks.failed();
        };
        let text = Self { subjective, objective, assessment, plan };
        if [&text.subjective, &text.objective, &text.assessment, &text.plan].iter().all(|t| t.is_empty()) {
            return Err(FieldError::new(Field::Note, Problem::EmptyNote).into());
        }
        Ok(text)
    }

    /// The same checks for text that arrives whole (a window's form): every write of a note runs
    /// them in the core, so no front end keeps its own copy.
    pub fn validated(&self) -> Valid<Self> {
        Self::build(&self.subjective, &self.objective, &self.assessment, &self.plan)
    }
}

/// Whose note it is: a doctor's SOAP note or a nurse's note (they are separate sections).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoteKind {
    #[default]
    Medical,
    Nursing,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    Draft,
    Signed,
}

impl NoteStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteStatus::Draft => "draft",
            NoteStatus::Signed => "signed",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SoapNote {
    pub id: Uuid,
    pub patient_id: Uuid,
    pub encounter_id: Uuid,
    #[serde(default)]
    pub kind: NoteKind,
    pub author: String,
    pub text: SoapText,
    pub status: NoteStatus,
    /// 1 for the first version; each amendment adds one.
    pub version: u32,
    /// The signed note this version amends.
    pub replaces: Option<Uuid>,
    pub written_at: DateTime<Utc>,
    pub signed_at: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
}

impl SoapNote {
    pub fn draft(
        id: Uuid,
        patient_id: Uuid,
        encounter_id: Uuid,
        kind: NoteKind,
        author: &str,
        text: SoapText,
        at: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            patient_id,
            encounter_id,
            kind,
            author: author.to_string(),
            text,
            status: NoteStatus::Draft,
            version: 1,
            replaces: None,
            written_at: at,
            signed_at: None,
            signed_by: None,
        }
    }

    /// The draft with new text; a signed note cannot be edited.
    /// The draft with new text, edited by `by`: only its author edits it (their signature is
    /// what makes it theirs).
    pub fn edited(&self, by: &str, text: SoapText, at: DateTime<Utc>) -> Check<Self> {
        if self.status == NoteStatus::Signed {
            return invalid(Field::Note, Problem::NoteSigned);
        }
        if by != self.author {
            return invalid(Field::Note, Problem::NotNoteAuthor);
        }
        Ok(Self { text, written_at: at, ..self.clone() })
    }

    /// The draft signed by `by`, who must be its author.
    pub fn signed(&self, by: &str, at: DateTime<Utc>) -> Check<Self> {
        if self.status == NoteStatus::Signed {
            return invalid(Field::Note, Problem::AlreadySigned);
        }
        if by != self.author {
            return invalid(Field::Note, Problem::NotNoteAuthor);
        }
        Ok(Self { status: NoteStatus::Signed, signed_at: Some(at), signed_by: Some(by.to_string()), ..self.clone() })
    }

    /// A new draft version amending this signed note.
    pub fn amendment(&self, id: Uuid, author: &str, text: SoapText, at: DateTime<Utc>) -> Check<Self> {
        if self.status != NoteStatus::Signed {
            return invalid(Field::Note, Problem::NoteIsDraft);
        }
        Ok(Self {
            id,
            author: author.to_string(),
            text,
            status: NoteStatus::Draft,
            version: self.version + 1,
            replaces: Some(self.id),
            written_at: at,
            signed_at: None,
            signed_by: None,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> SoapText {
        SoapText::build(s, "", "", "").expect("valid")
    }

    #[test]
    fn a_signed_note_is_amended_never_edited() {
        let at = Utc::now();
        let draft =
            SoapNote::draft(Uuid::from_u128(1), Uuid::nil(), Uuid::nil(), NoteKind::Medical, "dr", text("咳"), at);
        let draft = draft.edited("dr", text("咳と発熱"), at).expect("drafts can be edited");
        let refused = |r: Check<SoapNote>| matches!(r, Err(e) if e.problem == Problem::NotNoteAuthor);
        assert!(refused(draft.edited("colleague", text("書き換え"), at)), "only by their author");
        assert!(refused(draft.signed("colleague", at)), "and signed only by them");
        let signed = draft.signed("dr", at).expect("sign");
        assert!(signed.edited("dr", text("changed"), at).is_err());
        assert!(signed.signed("dr", at).is_err());
        let v2 = signed.amendment(Uuid::from_u128(2), "dr", text("追記"), at).expect("amend");
        assert_eq!((v2.version, v2.replaces, v2.status), (2, Some(signed.id), NoteStatus::Draft));
        assert!(draft.amendment(Uuid::from_u128(3), "dr", text("x"), at).is_err());
    }

    #[test]
    fn an_empty_note_is_refused() {
        let refused = SoapText::build(" ", "", "", "").expect_err("empty");
        assert_eq!(refused.problem(Field::Note), Some(&Problem::EmptyNote));
    }

    #[test]
    fn every_overlong_section_is_named() {
        let long = "あ".repeat(MAX_SECTION_CHARS + 1);
        let refused = SoapText::build(&long, "ok", &long, "").expect_err("too long");
        let fields: Vec<Field> = refused.fields().iter().map(|e| e.field).collect();
        assert_eq!(fields, [Field::Subjective, Field::Assessment]);
    }

    #[test]
    fn text_from_a_window_is_checked_like_typed_text() {
        let window = |s: &str, p: &str| SoapText { subjective: s.into(), plan: p.into(), ..SoapText::default() };
        assert_eq!(window(" 咳 ", "").validated().expect("valid").subjective, "咳");
        let blank = window(" \n", "\t").validated().expect_err("blank");
        assert_eq!(blank.fields(), [FieldError::new(Field::Note, Problem::EmptyNote)]);
        assert!(window("咳", "\u{7}").validated().is_err(), "control characters refused");
        assert!(window(&"あ".repeat(MAX_SECTION_CHARS + 1), "").validated().is_err(), "over-long refused");
    }
}
