//! What a ticket's page shows beside the ticket row (its team, SLA pauses and history), read in
//! one round trip: the detail is the most requested ticket read, and every statement costs a hand-off
//! to the database (a worker thread on SQLite, a server process on PostgreSQL).

use crate::DbError;
use crate::entity::{ticket_events, ticket_pauses, ticket_team};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement, UnionType};
use sea_orm::{ConnectionTrait, QueryResult};

/// A ticket's children: team (lead first), pauses (oldest first), events (newest first).
#[derive(Debug, Default)]
pub struct Children {
    pub team: Vec<(i64, String)>,
    pub pauses: Vec<ticket_pauses::Model>,
    pub events: Vec<ticket_events::Model>,
}

/// Columns of the union: part, id, s1..s4 (text), n1 (integer), t1, t2 (times).
const TEXTS: [&str; 4] = ["s1", "s2", "s3", "s4"];

fn part(tag: &str) -> SelectStatement {
    // A literal, not a bound value: PostgreSQL cannot type a parameter in a UNION's select list.
    Query::select().expr_as(Expr::cust(format!("'{tag}'")), Alias::new("part")).to_owned()
}

fn null() -> Expr {
    Expr::cust("NULL")
}

/// Team, pauses and events of ticket `id`, in one statement.
pub async fn children(conn: &impl ConnectionTrait, id: i64) -> Result<Children, DbError> {
    use ticket_events::Column as E;
    use ticket_pauses::Column as P;
    use ticket_team::Column as T;
    let mut events = part("e");
    events
        .expr_as(Expr::col(E::Id), Alias::new("id"))
        .expr_as(Expr::col(E::Kind), Alias::new(TEXTS[0]))
        .expr_as(Expr::col(E::FromStatus), Alias::new(TEXTS[1]))
        .expr_as(Expr::col(E::ToStatus), Alias::new(TEXTS[2]))
        .expr_as(Expr::col(E::Detail), Alias::new(TEXTS[3]))
        .expr_as(Expr::col(E::ActorId), Alias::new("n1"))
        .expr_as(Expr::col(E::At), Alias::new("t1"))
        .expr_as(null(), Alias::new("t2"))
        .from(ticket_events::Entity)
        .and_where(Expr::col(E::TicketId).eq(id));
    let mut pauses = part("p");
    pauses
        .expr(Expr::col(P::Id))
        .exprs([null(), null(), null(), null(), null()])
        .expr(Expr::col(P::FromAt))
        .expr(Expr::col(P::UntilAt))
        .from(ticket_pauses::Entity)
        .and_where(Expr::col(P::TicketId).eq(id));
    let mut team = part("t");
    team.expr(Expr::col(T::TechnicianId))
        .expr(Expr::col(T::Role))
        .exprs([null(), null(), null(), null()])
        .expr(Expr::col(T::AssignedAt))
        .expr(null())
        .from(ticket_team::Entity)
        .and_where(Expr::col(T::TicketId).eq(id));
    events.union(UnionType::All, pauses).union(UnionType::All, team);

    let mut out = Children::default();
    for row in conn.query_all(&events).await? {
        let tag: String = row.try_get("", "part")?;
        match tag.as_str() {
            "e" => out.events.push(event(&row, id)?),
            "p" => out.pauses.push(ticket_pauses::Model {
                id: row.try_get("", "id")?,
                ticket_id: id,
                from_at: row.try_get("", "t1")?,
                until_at: row.try_get("", "t2")?,
            }),
            _ => out.team.push((row.try_get("", "id")?, row.try_get("", TEXTS[0])?)),
        }
    }
    out.events.sort_by_key(|e| std::cmp::Reverse(e.id));
    out.pauses.sort_by_key(|p| p.id);
    out.team.sort_by(|(a, ra), (b, rb)| (ra != "lead", a).cmp(&(rb != "lead", b)));
    Ok(out)
}

fn event(row: &QueryResult, ticket_id: i64) -> Result<ticket_events::Model, DbError> {
    let at: DateTime<Utc> = row.try_get("", "t1")?;
    Ok(ticket_events::Model {
        id: row.try_get("", "id")?,
        ticket_id,
        kind: row.try_get("", TEXTS[0])?,
        from_status: row.try_get("", TEXTS[1])?,
        to_status: row.try_get("", TEXTS[2])?,
        detail: row.try_get("", TEXTS[3])?,
        actor_id: row.try_get("", "n1")?,
        at,
    })
}
