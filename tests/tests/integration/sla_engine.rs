//! The SLA engine against moto: the sweep reads the due queue, records reminders,
//! breaches, repeat escalations and auto-close with conditional writes, and `notify`
//! tells the owners and the supervisors, each exactly once.

use std::sync::Arc;

use sigap::clock::Clock;
use sigap_tests::TestStack;

/// `sla-sweep` over the test's stack, with `clock`.
pub fn sweep_app(t: &TestStack, clock: Arc<dyn Clock>) -> sla_sweep::SlaSweep {
    let config = sla_sweep::Config {
        table_name: t.table.clone(),
        notify_queue_url: t.notify_url.clone(),
    };
    sla_sweep::SlaSweep::new(&config, &t.clients, clock).unwrap()
}
