//! Demo data: yesterday's outage notice to the customers of the busiest ODP, already delivered
//! to most of them, so the broadcasts page and the queue dashboard show a past broadcast with
//! its figures.

use crate::notifications::service::queue;
use crate::state::AppState;
use aglis_core::broadcast::body_for;
use aglis_core::job::JobPriority;
use aglis_core::notification::{Channel, MessageStatus};
use aglis_core::permission::Role;
use aglis_db::repo::broadcasts::{self, NewBroadcast, Target};
use aglis_db::repo::messages::{self, NewMessage};
use aglis_db::repo::odps::{self, OdpQuery};
use aglis_db::repo::users::{self, UserQuery};

const BODY_ID: &str = "Gangguan jaringan di ODP Anda karena kabel feeder putus. Teknisi sedang menangani; perkiraan pulih pukul 16.00 WIB. Mohon maaf atas ketidaknyamanannya.";
const BODY_EN: &str = "Network outage on your ODP: a feeder cable was cut. Our technicians are on it; expected back by 16:00 WIB. Sorry for the inconvenience.";

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let sent_at = state.now() - chrono::Duration::hours(26);
    let (odps, _) = odps::list(&state.db, &OdpQuery { page: 1, per_page: 1000, ..OdpQuery::default() }).await?;
    let mut best = None;
    for odp in odps {
        let n = broadcasts::recipients(&state.db, &Target::Odp(odp.id)).await?;
        if best.as_ref().is_none_or(|(_, m): &(_, Vec<_>)| n.len() > m.len()) {
            best = Some((odp, n));
        }
    }
    let Some((odp, recipients)) = best.filter(|(_, r)| !r.is_empty()) else { return Ok(()) };
    let noc =
        users::list(&state.db, &UserQuery { role: Some(Role::Noc), page: 1, per_page: 1, ..UserQuery::default() })
            .await?
            .0
            .into_iter()
            .next()
            .map(|u| u.id);
    let new = NewBroadcast {
        target: Target::Odp(odp.id),
        target_label: format!("{} ({})", odp.code, odp.area),
        body_id: BODY_ID.into(),
        body_en: BODY_EN.into(),
        recipients: i32::try_from(recipients.len()).unwrap_or(i32::MAX),
        created_by: noc,
    };
    let b = broadcasts::create(&state.db, new, sent_at).await?;
    let later = sent_at + chrono::Duration::minutes(3);
    for (i, c) in recipients.iter().enumerate() {
        let m = NewMessage {
            channel: Channel::Whatsapp,
            recipient: c.phone.clone(),
            subject: None,
            body: body_for(c.language, BODY_ID, BODY_EN).to_owned(),
            template_code: None,
            variables: None,
            priority: JobPriority::Low,
            created_by: noc,
        };
        let m = queue(&state.db, m, sent_at).await?;
        broadcasts::link(&state.db, b.id, m.id, c.id).await?;
        // One in eight numbers is no longer on WhatsApp; the rest went out, most delivered.
        if i % 8 == 7 {
            messages::mark_failed(&state.db, m.id, "fonnte: target not on WhatsApp", true, later).await?;
        } else {
            messages::mark_sent(&state.db, m.id, "log", Some(&format!("demo-bc-{}", m.id)), later).await?;
            if i % 3 != 2 {
                messages::apply_report(&state.db, m.id, MessageStatus::Delivered, later).await?;
            }
        }
    }
    Ok(())
}
