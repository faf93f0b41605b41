//! Every end-to-end story, in one binary (the app is driven one story at a time; `App::launch`
//! takes a process-wide turn).

mod admin_audit;
mod clinical;
mod front_desk;
mod insider_alerts;
mod invitation;
mod locking;
mod measure;
mod nurse_day;
mod sync;
