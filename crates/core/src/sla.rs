//! SLA clocks: working time on a calendar (24/7, or business hours without public holidays),
//! paused while a ticket waits for the customer. Written by a helper; see the module tests.
