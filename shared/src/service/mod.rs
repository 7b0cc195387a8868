//! Each sequence that changes state, written once: read, decide (domain), commit
//! (one conditional write), announce. Channels and screens call these and add only
//! their parsing and presentation.

pub mod changes;
pub mod deadline_rules;
pub mod paging;
