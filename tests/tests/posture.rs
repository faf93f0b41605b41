//! Story: the administrator opens the posture page of the demo clinic. It names what needs doing
//! against the MHLW guideline 6.0 technical items — nobody trained this year, the access log
//! never reviewed, the open alerts, a break-the-glass, a colleague invited who has no second
//! factor yet, a laptop not seen within its lease and on an old version — and each item turns
//! well once it is done and recorded (a review a month old is due again). The records export as CSV, and their contents stay out of
//! the audit log.

use chrono::Duration;
use mamori_core::audit::Filter;
use mamori_core::clinic::{records_csv, PostureDevice, PostureItem, ReviewKind, Standing, TrainingKind};
use mamori_core::domain::{Role, User};
use mamori_core::policy::Section;
use mamori_core::vault::MemoryStore;
use mamori_core::Error;
use mamori_story_tests::*;

fn item<'a>(items: &'a [PostureItem], name: &str) -> &'a PostureItem {
    items.iter().find(|i| i.item == name).unwrap_or_else(|| panic!("{name} on the page"))
}

#[test]
fn the_posture_page_names_what_needs_doing_and_each_item_turns_well_once_done() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let site = Site::demo(tmp.path(), MemoryStore::default(), 250, 5);
    let mut admin = site.login("admin");
    admin.set_idle_timeout(240).expect("a long session");
    let today = admin.today();

    let page = admin.posture(None).expect("posture");
    assert_eq!(item(&page, "second_factor").standing, Standing::Ok, "every demo user enrolled");
    assert_eq!(item(&page, "devices_unseen").standing, Standing::Unknown, "offline: not checked");
    assert_eq!(item(&page, "backups").standing, Standing::Unknown, "not built yet, and said so");
    assert_eq!(item(&page, "log_review").standing, Standing::Attention, "never reviewed");
    assert_eq!(item(&page, "dependency_audit").standing, Standing::Attention);
    let open = admin.alert_summary().expect("summary").open;
    assert!(open > 0, "the demo's planted cases");
    assert_eq!((item(&page, "open_alerts").standing, item(&page, "open_alerts").count), (Standing::Attention, open));
    assert_eq!(item(&page, "break_glass").standing, Standing::Ok);
    let training = item(&page, "training");
    assert_eq!(training.standing, Standing::Attention);
    for user in ["admin", "doctor", "nurse", "reception"] {
        assert!(training.names.iter().any(|n| n == user), "{user} has no training on record");
    }

    // A colleague invited but not yet in; a break-the-glass; a laptop away and out of date.
    let clerk = User::build("clerk", "事務 花子", Role::Reception).expect("user");
    admin.invite_user(&site.keyring, &clerk).expect("invite");
    let patient = admin
        .raw_sql_for_inspection()
        .expect("sql")
        .query_row("SELECT id FROM patients LIMIT 1", [], |r| r.get::<_, String>(0));
    let patient = patient.expect("a patient").parse().expect("uuid");
    admin.break_glass(patient, Section::Demographics, "アラートの患者確認のため").expect("grant");
    let laptop = PostureDevice {
        name: "訪問用ノートPC".into(),
        active: true,
        app_version: Some("0.0.1".into()),
        lease_days_left: Some(-2),
    };
    let revoked = PostureDevice { name: "古いPC".into(), active: false, app_version: None, lease_days_left: None };
    let page = admin.posture(Some(&[laptop, revoked])).expect("posture");
    assert_eq!(item(&page, "second_factor").names, vec!["clerk".to_string()]);
    assert_eq!(item(&page, "break_glass").names, vec!["admin".to_string()]);
    assert_eq!(
        item(&page, "devices_unseen").names,
        vec!["訪問用ノートPC".to_string()],
        "a revoked device is not asked for"
    );
    assert_eq!(item(&page, "devices_outdated").names, vec!["訪問用ノートPC".to_string()]);

    // Recording: only real users, never a future day, and only an administrator.
    let tomorrow = today + Duration::days(1);
    assert!(matches!(
        admin.record_training("nurse", tomorrow, TrainingKind::Training, "研修", None),
        Err(Error::Invalid(_))
    ));
    assert!(matches!(
        admin.record_training("nobody", today, TrainingKind::Training, "研修", None),
        Err(Error::NotFound { .. })
    ));
    assert!(matches!(
        admin.record_training("nurse", today, TrainingKind::Training, "  ", None),
        Err(Error::Invalid(_))
    ));
    for user in ["admin", "doctor", "nurse", "reception", "clerk"] {
        admin.record_training(user, today, TrainingKind::Training, "情報セキュリティ研修2026", None).expect("record");
    }
    admin
        .record_training("nurse", today, TrainingKind::PhishingDrill, "標的型メール訓練", Some(true))
        .expect("a drill");
    // A review five weeks old is due again; a dependency audit of then is still within its quarter.
    let weeks_ago = today - Duration::days(35);
    admin.record_review(ReviewKind::AccessLog, weeks_ago, "", "前回の確認").expect("review");
    admin.record_review(ReviewKind::Dependencies, weeks_ago, "", "前回の監査").expect("audit");
    let page = admin.posture(None).expect("posture");
    assert_eq!(item(&page, "log_review").standing, Standing::Attention, "older than a month");
    assert_eq!(item(&page, "dependency_audit").standing, Standing::Ok, "within a quarter");
    admin.record_review(ReviewKind::AccessLog, today, "", "不審アクセス3件を確認、本人に聞き取り済み").expect("review");
    admin.record_review(ReviewKind::Dependencies, today, "IT担当 山本", "既知の脆弱性なし").expect("audit");
    let page = admin.posture(None).expect("posture");
    assert_eq!(item(&page, "training").standing, Standing::Ok);
    let review = item(&page, "log_review");
    assert_eq!((review.standing, review.names.clone()), (Standing::Ok, vec!["admin".to_string()]));
    assert_eq!(review.last.as_deref(), Some(today.to_string().as_str()));
    assert_eq!(item(&page, "dependency_audit").names, vec!["IT担当 山本".to_string()]);

    let csv = records_csv(&admin.training_records().expect("training"), &admin.review_records().expect("reviews"));
    assert!(csv.contains(&format!("training,{today},nurse,phishing_drill,標的型メール訓練,yes,admin")), "{csv}");
    assert!(csv.contains("review,") && csv.contains("access_log"), "{csv}");
    assert_eq!(csv.lines().count(), 1 + 6 + 4, "a header, six training records, four reviews");
    let log = serde_json::to_string(&admin.audit_events(&Filter::All).expect("events")).expect("json");
    assert!(
        !log.contains("標的型メール訓練") && !log.contains("聞き取り"),
        "record contents stay out of the audit log"
    );
    admin.logout().expect("logout");

    let mut nurse = site.login("nurse");
    assert!(matches!(
        nurse.record_training("nurse", today, TrainingKind::Training, "自習", None),
        Err(Error::Denied { .. })
    ));
    assert!(matches!(nurse.posture(None), Err(Error::Denied { .. })));
    nurse.logout().expect("logout");
}
