-- Mamori chart store, version 12: patients by the chart number they were given (in their record),
-- which may differ from the one shown when two offline devices gave the same number
-- (`changelog/chart_numbers.rs`).
CREATE INDEX patients_by_given_chart_no ON patients (json_extract(body, '$.chart_no'));
