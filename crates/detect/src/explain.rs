//! The first pass: each chart access explained, where it can be, by a treatment relationship in
//! the clinic's own data. What stays unexplained is what the rules look at.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::context::{Context, ShiftKind};
use crate::event::{Action, Event, Role};

/// Why an access needs no second look.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Why {
    /// An appointment or visit of the patient's that day.
    VisitToday,
    /// A visit in the last two weeks with this clinician (or one they cover): follow-up work.
    FollowUp,
    /// An appointment in the coming week (booking, reminders, preparing).
    Upcoming,
    /// The patient is on the user's home-visit list that day (or the day before).
    HomeVisitList,
    /// A lab result for the patient arrived in the last week.
    LabResult,
    /// On call, for a patient the clinic has seen in the last year.
    OnCallEstablished,
    /// The user registered the patient that day.
    Registration,
    /// A slip in a search list: a chart opened and left within two minutes for one of the same
    /// surname whose opening is explained (the 鈴木 the desk meant).
    SearchSlip,
}

/// How soon after a wrong pick the right chart is opened.
const SLIP_SECONDS: i64 = 120;

/// For each event: `Some(Ok(why))` for an explained chart access, `Some(Err(()))` for an
/// unexplained one, `None` when the event opens no chart.
pub type Explained = Vec<Option<Result<Why, ()>>>;

/// Indexes of the context, built once.
struct Index<'c> {
    context: &'c Context,
    /// (patient, local date) → clinicians named (None: none named).
    visits: HashMap<(&'c str, NaiveDate), Vec<Option<&'c str>>>,
    /// patient → local dates of all its visits, sorted.
    visit_dates: HashMap<&'c str, Vec<NaiveDate>>,
    /// (user, date) → patients on that user's home-visit list.
    rounds: HashMap<(&'c str, NaiveDate), HashSet<&'c str>>,
    /// patient → when its lab results arrived.
    results: HashMap<&'c str, Vec<DateTime<Utc>>>,
}

impl<'c> Index<'c> {
    fn new(context: &'c Context) -> Self {
        let mut visits: HashMap<(&str, NaiveDate), Vec<Option<&str>>> = HashMap::new();
        let mut visit_dates: HashMap<&str, Vec<NaiveDate>> = HashMap::new();
        for a in &context.appointments {
            let date = context.clinic.local_date(a.at);
            visits.entry((a.patient.as_str(), date)).or_default().push(a.clinician.as_deref());
            visit_dates.entry(a.patient.as_str()).or_default().push(date);
        }
        for dates in visit_dates.values_mut() {
            dates.sort_unstable();
        }
        let mut rounds: HashMap<(&str, NaiveDate), HashSet<&str>> = HashMap::new();
        for list in &context.home_visit_lists {
            rounds.entry((list.user.as_str(), list.date)).or_default().extend(list.patients.iter().map(String::as_str));
        }
        let mut results: HashMap<&str, Vec<DateTime<Utc>>> = HashMap::new();
        for r in &context.lab_results {
            results.entry(r.patient.as_str()).or_default().push(r.arrived_at);
        }
        Self { context, visits, visit_dates, rounds, results }
    }

    fn visited_between(&self, patient: &str, from: NaiveDate, to: NaiveDate) -> bool {
        self.visit_dates.get(patient).is_some_and(|dates| dates.iter().any(|d| from <= *d && *d <= to))
    }

    /// Whether a visit of `patient` in `from..=to` names `user`, or a colleague `user` covers at
    /// `at`, or nobody, as its clinician.
    fn visited_with(&self, patient: &str, user: &str, at: DateTime<Utc>, from: NaiveDate, to: NaiveDate) -> bool {
        let covered = self.context.covered_by(user, at);
        let mut day = from;
        while day <= to {
            if let Some(clinicians) = self.visits.get(&(patient, day)) {
                if clinicians.iter().any(|c| c.is_none_or(|c| c == user || covered.contains(&c))) {
                    return true;
                }
            }
            day += Duration::days(1);
        }
        false
    }

    fn why(&self, event: &Event, patient: &str, registered: &HashMap<&str, (&str, NaiveDate)>) -> Option<Why> {
        let at = event.at;
        let date = self.context.clinic.local_date(at);
        let user = event.user.as_str();
        let clinical = matches!(event.role, Role::Doctor | Role::Nurse);
        if event.role == Role::Admin {
            return None;
        }
        if self.visits.contains_key(&(patient, date)) {
            return Some(Why::VisitToday);
        }
        if registered.get(patient).is_some_and(|(by, day)| *by == user && *day == date) {
            return Some(Why::Registration);
        }
        let on_round = |day: NaiveDate| self.rounds.get(&(user, day)).is_some_and(|p| p.contains(patient));
        if on_round(date) || on_round(date - Duration::days(1)) {
            return Some(Why::HomeVisitList);
        }
        if event.role == Role::Reception
            && self.context.home_visit_lists.iter().any(|l| l.date == date && l.patients.iter().any(|p| p == patient))
        {
            return Some(Why::HomeVisitList);
        }
        if self.visited_between(patient, date + Duration::days(1), date + Duration::days(7)) {
            return Some(Why::Upcoming);
        }
        if clinical {
            if self.visited_with(patient, user, at, date - Duration::days(14), date) {
                return Some(Why::FollowUp);
            }
            let week_ago = at - Duration::days(7);
            if self.results.get(patient).is_some_and(|r| r.iter().any(|arrived| week_ago <= *arrived && *arrived <= at))
            {
                return Some(Why::LabResult);
            }
            if self.context.on_shift(user, ShiftKind::OnCall, at)
                && self.visited_between(patient, date - Duration::days(365), date)
            {
                return Some(Why::OnCallEstablished);
            }
        } else if self.visited_between(patient, date - Duration::days(3), date) {
            // The front desk's corrections and billing after a visit.
            return Some(Why::FollowUp);
        }
        None
    }
}

/// Explains every event (see [`Explained`]).
pub fn explain_all(events: &[Event], context: &Context) -> Explained {
    let index = Index::new(context);
    // Who first wrote each patient's chart, and when: a registration.
    let mut registered: HashMap<&str, (&str, NaiveDate)> = HashMap::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut order: Vec<usize> = (0..events.len()).collect();
    order.sort_by_key(|&i| events[i].at);
    for &i in &order {
        let event = &events[i];
        if let Some(patient) = event.chart_access() {
            if seen.insert(patient) && event.action == Action::Write {
                registered.insert(patient, (event.user.as_str(), context.clinic.local_date(event.at)));
            }
        }
    }
    let mut explained: Explained = events
        .iter()
        .map(|event| event.chart_access().map(|patient| index.why(event, patient, &registered).ok_or(())))
        .collect();
    forgive_slips(events, context, &order, &mut explained);
    explained
}

/// Marks an unexplained read as a search slip when the same user opens, within two minutes, an
/// explained chart of a patient with the same surname.
fn forgive_slips(events: &[Event], context: &Context, order: &[usize], explained: &mut Explained) {
    let surname = |i: usize| events[i].patient.as_deref().and_then(|p| context.patient(p)).map(|p| p.surname.as_str());
    for (position, &i) in order.iter().enumerate() {
        if !matches!(explained[i], Some(Err(()))) || events[i].action != Action::Read {
            continue;
        }
        let Some(wrong) = surname(i) else { continue };
        let right = order[position + 1..]
            .iter()
            .take_while(|&&j| events[j].at - events[i].at <= Duration::seconds(SLIP_SECONDS))
            .any(|&j| {
                events[j].user == events[i].user
                    && events[j].patient != events[i].patient
                    && matches!(explained[j], Some(Ok(_)))
                    && surname(j) == Some(wrong)
            });
        if right {
            explained[i] = Some(Ok(Why::SearchSlip));
        }
    }
}
