//! The desktop commands through Tauri's mock runtime (no display): what a window can do for each
//! role, and that the core refuses what a role may not do even when the window asks.

use mamori_core::clinic::{DataDir, GRANT_MINUTES};
use mamori_core::clock::Clock;
use mamori_core::demo::{self, DemoOptions, DemoReport};
use mamori_core::vault::MemoryStore;
use mamori_desktop::{AppState, COMMANDS};
use mamori_story_tests::{clinic_clock, totp_code};
use serde_json::{json, Value};
use tauri::ipc::{CallbackFn, InvokeBody};
use tauri::test::{mock_builder, mock_context, noop_assets, MockRuntime, INVOKE_KEY};
use tauri::webview::InvokeRequest;
use tauri::Manager;
use tauri::{WebviewWindow, WebviewWindowBuilder};

/// What the insider detector is told from the window: appointments with their kind and
/// clinician, the clinic's hours and holidays, the roster.
#[path = "ipc/detection_context.rs"]
mod detection_context;

struct Window {
    _tmp: tempfile::TempDir,
    _app: tauri::App<MockRuntime>,
    webview: WebviewWindow<MockRuntime>,
    clock: mamori_core::clock::ManualClock,
    demo: DemoReport,
    /// A demo patient's id, looked up through the core before the window opened.
    patient: String,
}

impl Window {
    /// The app on a fresh demo clinic (8 patients), as a window would see it.
    fn on_demo() -> Self {
        let tmp = tempfile::tempdir().expect("tempdir");
        let dir = DataDir::new(tmp.path().join("clinic"));
        let clock = clinic_clock();
        let shared = clock.clone();
        let state =
            AppState::with_clock(dir.clone(), Box::new(MemoryStore::default()), move || Box::new(shared.clone()));
        let demo =
            demo::create(&dir, state.keyring.as_ref(), Box::new(clock.clone()), &DemoOptions { patients: 8, seed: 3 })
                .expect("demo");
        clock.advance(chrono::Duration::seconds(30));
        let desk = demo.users.iter().find(|u| u.name == "reception").expect("reception");
        let code = mamori_core::auth::SecondFactor::Totp(totp_code(&desk.totp_secret, clock.now()));
        let password = mamori_core::secret::Password::new(desk.password.clone());
        let mut core = mamori_core::clinic::Clinic::unlock(
            &dir,
            state.keyring.as_ref(),
            Box::new(clock.clone()),
            "reception",
            &password,
            &code,
        )
        .expect("reception");
        let patient = core.search_patients("1", 1).expect("search")[0].id.to_string();
        core.logout().expect("logout");
        let app = mamori_desktop::configure(mock_builder(), state).build(mock_context(noop_assets())).expect("app");
        let webview = WebviewWindowBuilder::new(&app, "main", Default::default()).build().expect("window");
        Self { _tmp: tmp, _app: app, webview, clock, demo, patient }
    }

    fn call(&self, cmd: &str, body: Value) -> Result<Value, Value> {
        let request = InvokeRequest {
            cmd: cmd.into(),
            callback: CallbackFn(0),
            error: CallbackFn(1),
            url: "tauri://localhost".parse().expect("url"),
            body: InvokeBody::Json(body),
            headers: Default::default(),
            invoke_key: INVOKE_KEY.to_string(),
        };
        tauri::test::get_ipc_response(&self.webview, request).map(|b| b.deserialize::<Value>().expect("json"))
    }

    fn ok(&self, cmd: &str, body: Value) -> Value {
        self.call(cmd, body).unwrap_or_else(|e| panic!("{cmd}: {e}"))
    }

    fn error_code(&self, cmd: &str, body: Value) -> String {
        let error = self.call(cmd, body).expect_err(cmd);
        error["code"].as_str().unwrap_or_else(|| panic!("{cmd}: not a UiError: {error}")).to_string()
    }

    /// Logs `user` in with the authenticator's code for the next 30-second step.
    fn unlock(&self, user: &str) -> Value {
        self.clock.advance(chrono::Duration::seconds(30));
        let demo_user = self.demo.users.iter().find(|u| u.name == user).expect("demo user");
        let code = totp_code(&demo_user.totp_secret, self.clock.now());
        self.ok("unlock", json!({ "user": user, "password": demo_user.password, "totp": code }))
    }

    /// The patient a search from this window finds for "1".
    fn some_patient(&self) -> String {
        let found = self.ok("search_patients", json!({ "query": "1" }));
        found[0]["id"].as_str().expect("a patient").to_string()
    }
}

#[test]
fn a_reception_window_gets_no_clinical_menu_and_clinical_commands_are_refused_by_the_core() {
    let w = Window::on_demo();
    let session = w.unlock("reception");
    assert_eq!(session["role"], "reception");
    let readable: Vec<&str> = session["readable"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert_eq!(readable, ["demographics", "appointments"], "no clinical menu");

    let patient = w.some_patient();
    let chart = w.ok("chart", json!({ "patientId": patient }));
    for section in ["allergies", "problems", "notes", "vitals", "prescriptions", "lab_reports"] {
        assert!(chart[section].is_null(), "{section} must not reach a reception window");
    }
    // A window tricked into calling clinical commands: the core refuses each.
    let vitals = json!({ "patientId": patient, "input": { "pulse_bpm": 70 } });
    assert_eq!(w.error_code("record_vitals", vitals), "denied");
    assert_eq!(w.error_code("prescribe_do", json!({ "patientId": patient })), "denied");
    let allergy =
        json!({ "patientId": patient, "input": { "substance": "卵", "reaction": "発疹", "severity": "mild" } });
    assert_eq!(w.error_code("record_allergy", allergy), "denied");
    assert_eq!(w.error_code("users", json!({})), "denied");
    let glass = json!({ "patientId": patient, "section": "allergies", "reason": "救急隊からの問い合わせ" });
    assert_eq!(w.error_code("break_glass", glass), "sealed_section");
}

#[test]
fn a_doctor_finds_a_patient_writes_signs_and_repeats_a_prescription() {
    let w = Window::on_demo();
    w.unlock("doctor");
    let patient = w.some_patient();
    let visit = w.ok("open_encounter", json!({ "patientId": patient, "kind": "outpatient" }));
    let soap = json!({ "subjective": "咳が続く", "objective": "咽頭発赤", "assessment": "感冒", "plan": "経過観察" });
    let draft = w.ok("write_note", json!({ "encounterId": visit["id"], "text": soap }));
    assert_eq!(draft["status"], "draft");
    let signed = w.ok("sign_note", json!({ "noteId": draft["id"] }));
    assert_eq!(signed["status"], "signed");
    let item =
        json!({ "drug": "カロナール錠200mg", "dose": 1.0, "unit": "錠", "frequency": "1日3回毎食後", "days": 5 });
    w.ok("prescribe", json!({ "patientId": patient, "encounterId": visit["id"], "items": [item] }));
    let repeated = w.ok("prescribe_do", json!({ "patientId": patient, "encounterId": visit["id"] }));
    assert_eq!(repeated["items"][0]["drug"], "カロナール錠200mg");

    let chart = w.ok("chart", json!({ "patientId": patient }));
    let notes = chart["notes"].as_array().expect("notes");
    assert!(notes.iter().any(|n| n["id"] == signed["id"] && n["text"]["subjective"] == "咳が続く"));
    assert!(chart["prescriptions"].as_array().expect("prescriptions").len() >= 2);

    let too_long = json!({ "encounterId": visit["id"], "text": { "subjective": "あ".repeat(20_001), "objective": "", "assessment": "", "plan": "" } });
    assert_eq!(w.error_code("write_note", too_long), "invalid_input", "window input is validated by the core");
    let blank = json!({ "encounterId": visit["id"], "text": { "subjective": " ", "objective": "\n", "assessment": "", "plan": "" } });
    assert_eq!(w.error_code("write_note", blank), "invalid_input", "the core refuses an empty note, not the window");
}

#[test]
fn an_admin_sets_the_idle_timeout_within_the_bounds_the_core_gives_the_window() {
    let w = Window::on_demo();
    let session = w.unlock("admin");
    let (min, max) = (session["idle_timeout_min_minutes"].as_i64(), session["idle_timeout_max_minutes"].as_i64());
    let (Some(min), Some(max)) = (min, max) else { panic!("the session names the bounds: {session}") };
    assert_eq!(w.error_code("set_idle_timeout", json!({ "minutes": max + 1 })), "invalid_input");
    assert_eq!(w.error_code("set_idle_timeout", json!({ "minutes": min - 1 })), "invalid_input");
    assert_eq!(w.ok("set_idle_timeout", json!({ "minutes": max })), Value::Null);
    assert_eq!(w.ok("session_state", json!({}))["session"]["idle_timeout_minutes"], max);
}

#[test]
fn a_wrong_one_time_code_is_refused_and_leaves_no_session() {
    let w = Window::on_demo();
    let doctor = w.demo.users.iter().find(|u| u.name == "doctor").expect("doctor");
    let wrong = json!({ "user": "doctor", "password": doctor.password, "totp": "000000" });
    assert_eq!(w.error_code("unlock", wrong), "wrong_second_factor");
    let state = w.ok("session_state", json!({}));
    assert!(state["session"].is_null());
    assert_eq!(w.error_code("search_patients", json!({ "query": "1" })), "no_session");
}

#[test]
fn a_login_tried_again_too_soon_tells_the_window_how_many_seconds_to_wait() {
    let w = Window::on_demo();
    let wrong = json!({ "user": "doctor", "password": "not-the-password", "totp": "000000" });
    assert_eq!(w.error_code("unlock", wrong.clone()), "wrong_password");
    w.clock.advance(chrono::Duration::seconds(1));
    assert_eq!(w.error_code("unlock", wrong.clone()), "wrong_password");
    // Two failures: the next try must wait two seconds, and the window gets that as a number.
    let error = w.call("unlock", wrong).expect_err("too soon");
    assert_eq!(error["code"], "throttled");
    assert_eq!(error["retry_after_secs"], 2, "{error}");
    assert_eq!(error["fields"], json!([]));
}

#[test]
fn a_registration_with_three_bad_fields_names_all_three_with_their_problems() {
    let w = Window::on_demo();
    w.unlock("reception");
    let input = json!({
        "chart_no": "900001", "family_name": "山田", "given_name": "花子",
        "family_kana": "山田", "given_kana": "ハナコ", "sex": "female",
        "birth_date": "S25.2.30", "phone": "12-3456", "address": "",
    });
    let error = w.call("register_patient", json!({ "input": input })).expect_err("three bad fields");
    assert_eq!(error["code"], "invalid_input");
    assert_eq!(
        error["fields"],
        json!([
            { "field": "family_kana", "problem": "wrong_kana" },
            { "field": "birth_date", "problem": "impossible_date" },
            { "field": "phone", "problem": "bad_phone" },
        ])
    );
    assert!(error.get("retry_after_secs").is_none(), "{error}");
    let message = error["message"].as_str().expect("an English fallback");
    assert!(!message.contains("山田") && !message.contains("12-3456"), "never repeats what was typed: {message}");

    let weight = json!({ "patientId": w.patient, "input": { "weight_kg": 0.1 } });
    w.unlock("nurse");
    let error = w.call("record_vitals", weight).expect_err("too light");
    assert_eq!(error["fields"], json!([{ "field": "weight_kg", "problem": "out_of_range", "min": 0.3, "max": 400.0 }]));
}

#[test]
fn an_idle_window_locks_and_resumes_with_password_and_a_new_code() {
    let w = Window::on_demo();
    let session = w.unlock("nurse");
    let minutes = session["idle_timeout_minutes"].as_i64().expect("minutes");
    w.clock.advance(chrono::Duration::minutes(minutes - 1));
    assert_eq!(w.ok("session_state", json!({}))["locked"], false, "the poll itself is not activity");
    w.clock.advance(chrono::Duration::minutes(2));
    assert_eq!(w.ok("session_state", json!({}))["locked"], true);
    assert_eq!(w.error_code("search_patients", json!({ "query": "1" })), "session_locked");

    w.clock.advance(chrono::Duration::seconds(30));
    let nurse = w.demo.users.iter().find(|u| u.name == "nurse").expect("nurse");
    let code = totp_code(&nurse.totp_secret, w.clock.now());
    let resumed = w.ok("resume", json!({ "password": nurse.password, "totp": code }));
    assert_eq!(resumed["user"], "nurse");
    w.some_patient();
    assert_eq!(w.ok("lock", json!({})), Value::Null);
    assert_eq!(w.error_code("chart", json!({ "patientId": uuid_nil() })), "session_locked");
}

#[test]
fn an_idle_session_locks_even_when_the_window_never_asks() {
    let w = Window::on_demo();
    let session = w.unlock("doctor");
    let minutes = session["idle_timeout_minutes"].as_i64().expect("minutes");
    let state = w._app.state::<mamori_desktop::AppState>();
    assert_eq!(state.session_is_locked(), Some(false));
    w.clock.advance(chrono::Duration::minutes(minutes + 1));
    // No command from the window: the shell's own timer locks it within a check or two.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while state.session_is_locked() != Some(true) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(state.session_is_locked(), Some(true), "locked without the window's poll");
}

#[test]
fn break_the_glass_from_the_window_shows_its_expiry() {
    let w = Window::on_demo();
    w.unlock("admin");
    let patient = w.patient.clone();
    assert_eq!(w.error_code("patient", json!({ "id": patient })), "denied");
    let grant =
        w.ok("break_glass", json!({ "patientId": patient, "section": "demographics", "reason": "監査アラートの確認" }));
    let until = chrono::DateTime::parse_from_rfc3339(grant["until"].as_str().expect("until")).expect("time");
    assert_eq!((until.to_utc() - w.clock.now()).num_minutes(), GRANT_MINUTES);
    assert_eq!(w.ok("patient", json!({ "id": patient }))["id"], patient);
    let state = w.ok("session_state", json!({}));
    assert_eq!(state["grants"][0]["until"], grant["until"], "the window can show the countdown");
    let report = w.ok("audit_report", json!({ "patientId": patient }));
    assert!(report.as_array().expect("events").iter().any(|e| e["break_glass"] == true && e["user"] == "admin"));
    assert_eq!(w.error_code("audit_report", json!({})), "invalid_input");
}

#[test]
fn only_an_admin_window_gets_the_alerts_and_the_report_by_card_number() {
    let w = Window::on_demo();
    // The receptionist tries to break the glass on allergies: refused, and an alert.
    w.unlock("reception");
    let chart_no = w.ok("patient", json!({ "id": w.patient }))["chart_no"].as_str().expect("chart no").to_string();
    let glass = json!({ "patientId": w.patient, "section": "allergies", "reason": "救急隊からの問い合わせ" });
    assert_eq!(w.error_code("break_glass", glass), "sealed_section");
    for user in ["reception", "nurse", "doctor"] {
        w.unlock(user);
        assert_eq!(w.error_code("audit_alerts", json!({})), "denied", "{user} gets no alerts");
        assert_eq!(w.error_code("audit_report_by_chart_no", json!({ "chartNo": chart_no })), "denied", "{user}");
    }

    w.unlock("admin");
    let alerts = w.ok("audit_alerts", json!({}));
    let refused = alerts
        .as_array()
        .expect("alerts")
        .iter()
        .find(|e| e["user"] == "reception" && e["break_glass"] == true)
        .expect("the refused glass is an alert");
    assert_eq!(refused["reason_code"]["key"], "grant_refused_sealed", "the window translates the reason: {refused}");
    assert_eq!(refused["reason_code"]["params"]["typed"], "救急隊からの問い合わせ");

    let report = w.ok("audit_report_by_chart_no", json!({ "chartNo": chart_no }));
    assert_eq!(report["patient"], w.patient.as_str());
    assert!(report["events"].as_array().expect("events").iter().any(|e| e["user"] == "reception"));
    assert!(report.get("name").is_none() && !report.to_string().contains("kana"), "no name reaches the admin");
    assert_eq!(w.error_code("audit_report_by_chart_no", json!({ "chartNo": "999999" })), "not_found");
}

#[test]
fn every_command_is_registered_and_the_capability_lists_exactly_one_permission_per_command() {
    let w = Window::on_demo();
    let unknown = w.call("no_such_command", json!({})).expect_err("unknown command").to_string();
    assert!(unknown.contains("not found"), "how Tauri answers an unknown command: {unknown}");
    for command in COMMANDS {
        if let Err(error) = w.call(command, json!({})) {
            let text = error.to_string();
            assert!(!text.contains("not found"), "{command} is not registered: {text}");
        }
    }
    let capability: Value =
        serde_json::from_str(include_str!("../capabilities/main.json")).expect("capabilities/main.json");
    let granted: Vec<String> = capability["permissions"]
        .as_array()
        .expect("permissions")
        .iter()
        .map(|p| p.as_str().expect("name").into())
        .collect();
    let expected: Vec<String> = COMMANDS.iter().map(|c| format!("allow-{}", c.replace('_', "-"))).collect();
    assert_eq!(granted, expected, "exactly one permission per command, nothing else");

    let config: Value = serde_json::from_str(include_str!("../tauri.conf.json")).expect("tauri.conf.json");
    let csp = config["app"]["security"]["csp"].as_str().expect("a CSP");
    assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe"), "{csp}");
    assert_eq!(config["app"]["withGlobalTauri"], false);
    let manifest = include_str!("../Cargo.toml");
    for plugin in ["tauri-plugin-shell", "tauri-plugin-fs", "tauri-plugin-http"] {
        assert!(!manifest.contains(plugin), "{plugin} must not be linked");
    }
    assert!(!manifest.contains("devtools"), "devtools stay a debug-build-only feature");
}

fn uuid_nil() -> String {
    uuid::Uuid::nil().to_string()
}

#[test]
fn devices_and_conflicts_are_for_whom_the_core_allows_and_a_computer_without_a_server_says_so() {
    let w = Window::on_demo();
    // No server was given to this computer: the status bar says so, and nothing needs the network.
    let status = w.ok("sync_status", json!({}));
    assert_eq!(status["configured"], false, "{status}");
    assert_eq!(status["wiped"], false);
    assert_eq!(w.ok("app_status", json!({}))["wiped"], false);

    w.unlock("reception");
    assert_eq!(w.ok("patient_conflicts", json!({})), json!([]), "nothing edited on two devices");
    for (command, args) in [
        ("devices", json!({})),
        ("revoke_device", json!({ "name": "laptop" })),
        ("wipe_device", json!({ "name": "laptop" })),
    ] {
        assert_eq!(w.error_code(command, args), "denied", "{command} reached a reception window");
    }
    let not_in_conflict = json!({ "patientId": w.some_patient(), "picks": { "phone": "c1" } });
    assert_eq!(w.error_code("resolve_conflict", not_in_conflict), "not_found");
    assert_eq!(w.error_code("invite_device", json!({ "name": "laptop", "roles": ["doctor"] })), "no_server");

    // An admin sees the devices the chain names (offline: without what a server heard).
    w.unlock("admin");
    let devices = w.ok("devices", json!({}));
    let list = devices.as_array().expect("a list");
    assert_eq!(list.len(), 1, "the demo computer: {devices}");
    assert_eq!(list[0]["this_computer"], true);
    assert_eq!(list[0]["status"], "enrolled");
    assert!(list[0]["last_seen"].is_null(), "no server, nothing heard");
    assert_eq!(w.error_code("wipe_device", json!({ "name": list[0]["name"] })), "invalid_state", "not itself");
}
