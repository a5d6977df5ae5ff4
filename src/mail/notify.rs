//! Which e-mails a change causes, and for whom. Each function queues through
//! [`enqueue`] and must run inside the transaction that makes the change.

use chrono::Duration;
use diesel::prelude::*;

use super::links::Links;
use super::outbox::{enqueue, other, recipients_for_org, NotificationKind, OutgoingEmail};
use super::templates::{
    EmailTemplate, IntroductionToCity, IntroductionToCompany, PasswordReset, ResponseDecision,
    ResponseReceived, VerifyEmail,
};
use crate::auth::purpose::PASSWORD_RESET_TTL;
use crate::db::models::{
    Challenge, Match, Organization, PasswordReset as ResetRow, Response, Solution, User,
};
use crate::db::schema::{challenges, matches, organizations, password_resets, solutions};
use crate::db::DbConn;
use crate::domain::{json_list, new_id, now, ResponseStatus, Sector};

/// Asks a new user to confirm their address.
pub fn queue_verification(conn: &mut DbConn, links: &Links, user: &User) -> QueryResult<bool> {
    let link = links.verify_email(&user.id, &user.email).map_err(other)?;
    enqueue(
        conn,
        links,
        &OutgoingEmail {
            to: user.email.clone(),
            user_id: Some(user.id.clone()),
            template: EmailTemplate::VerifyEmail(VerifyEmail {
                name: user.display_name.clone(),
                link,
            }),
            dedupe_key: format!("verify-email:{}:{}", user.id, new_id()),
        },
    )
}

/// Records a single-use reset token for `user` and e-mails its link.
pub fn queue_password_reset(conn: &mut DbConn, links: &Links, user: &User) -> QueryResult<bool> {
    let at = now();
    let reset = ResetRow {
        jti: new_id(),
        user_id: user.id.clone(),
        created_at: at,
        expires_at: at + PASSWORD_RESET_TTL + Duration::seconds(5),
        used_at: None,
    };
    diesel::insert_into(password_resets::table)
        .values(&reset)
        .execute(conn)?;
    let link = links.password_reset(&user.id, &reset.jti).map_err(other)?;
    enqueue(
        conn,
        links,
        &OutgoingEmail {
            to: user.email.clone(),
            user_id: Some(user.id.clone()),
            template: EmailTemplate::PasswordReset(PasswordReset {
                name: user.display_name.clone(),
                link,
            }),
            dedupe_key: format!("password-reset:{}", reset.jti),
        },
    )
}

fn load_context(
    conn: &mut DbConn,
    challenge_id: &str,
    solution_id: &str,
) -> QueryResult<(Challenge, Organization, Solution, Organization)> {
    let (challenge, city) = challenges::table
        .inner_join(organizations::table)
        .filter(challenges::id.eq(challenge_id))
        .select((Challenge::as_select(), Organization::as_select()))
        .first::<(Challenge, Organization)>(conn)?;
    let (solution, company) = solutions::table
        .inner_join(organizations::table)
        .filter(solutions::id.eq(solution_id))
        .select((Solution::as_select(), Organization::as_select()))
        .first::<(Solution, Organization)>(conn)?;
    Ok((challenge, city, solution, company))
}

/// A company responded: the challenge's city hears of it. Returns how many e-mails.
pub fn on_response_created(
    conn: &mut DbConn,
    links: &Links,
    response: &Response,
) -> QueryResult<usize> {
    let (challenge, city, solution, company) =
        load_context(conn, &response.challenge_id, &response.solution_id)?;
    queue_for_org(
        conn,
        links,
        &city.id,
        &format!("response-received:{}", response.id),
        |user| {
            EmailTemplate::ResponseReceived(ResponseReceived {
                name: user.display_name.clone(),
                challenge_title: challenge.title.clone(),
                company_name: company.name.clone(),
                solution_title: solution.title.clone(),
                message: response.message.clone(),
                link: links.challenge_responses(&challenge.id),
            })
        },
    )
}

/// The city decided on a response (its status is already the new one): the responding
/// company hears of it. The seam where the match lifecycle follows a response's status.
pub fn on_response_status(
    conn: &mut DbConn,
    links: &Links,
    response: &Response,
) -> QueryResult<usize> {
    let Some(decision) =
        ResponseStatus::parse(&response.status).filter(|s| *s != ResponseStatus::Submitted)
    else {
        return Ok(0);
    };
    let (challenge, city, solution, company) =
        load_context(conn, &response.challenge_id, &response.solution_id)?;
    queue_for_org(
        conn,
        links,
        &company.id,
        &format!("response-{}:{}", decision, response.id),
        |user| {
            EmailTemplate::ResponseDecision(ResponseDecision {
                name: user.display_name.clone(),
                decision,
                challenge_title: challenge.title.clone(),
                city_name: city.name.clone(),
                solution_title: solution.title.clone(),
                link: links.challenge(&challenge.id),
            })
        },
    )
}

/// Introduces both sides of a match: the city's users get the solution, the company
/// and why it fits; the company's users get the challenge, the city and a link to
/// respond. Idempotent per match and user. Returns how many e-mails were queued.
pub fn queue_introduction(conn: &mut DbConn, links: &Links, match_id: &str) -> QueryResult<usize> {
    let m = matches::table
        .find(match_id)
        .select(Match::as_select())
        .first::<Match>(conn)?;
    let (challenge, city, solution, company) = load_context(conn, &m.challenge_id, &m.solution_id)?;
    let reasons = explanation_in_words(&m, &challenge, &solution, &city);
    let score = m.score.round() as i64;
    let mut queued = 0;
    queued += queue_for_org(
        conn,
        links,
        &city.id,
        &format!("introduction:{}", m.id),
        |user| {
            EmailTemplate::IntroductionToCity(IntroductionToCity {
                name: user.display_name.clone(),
                challenge_title: challenge.title.clone(),
                solution_title: solution.title.clone(),
                solution_summary: solution.summary.clone(),
                company_name: company.name.clone(),
                company_country: company.country.clone(),
                company_website: company.website.clone(),
                score,
                reasons: reasons.clone(),
                solution_link: links.solution(&solution.id),
                challenge_link: links.challenge(&challenge.id),
            })
        },
    )?;
    queued += queue_for_org(
        conn,
        links,
        &company.id,
        &format!("introduction:{}", m.id),
        |user| {
            EmailTemplate::IntroductionToCompany(IntroductionToCompany {
                name: user.display_name.clone(),
                challenge_title: challenge.title.clone(),
                challenge_summary: challenge.summary.clone(),
                city_name: city.name.clone(),
                city_country: city.country.clone(),
                solution_title: solution.title.clone(),
                deadline: challenge.response_deadline.clone(),
                score,
                reasons: reasons.clone(),
                challenge_link: links.challenge(&challenge.id),
                respond_link: links.respond(&challenge.id),
            })
        },
    )?;
    Ok(queued)
}

/// Why a match fits, as sentences: what the matcher wrote (a `summary` or `reasons` in
/// its explanation, when it has them), then the structured fit read from the records.
pub fn explanation_in_words(
    m: &Match,
    challenge: &Challenge,
    solution: &Solution,
    city: &Organization,
) -> Vec<String> {
    let mut reasons = Vec::new();
    if let Ok(explanation) = serde_json::from_str::<serde_json::Value>(&m.explanation) {
        for key in ["summary", "text"] {
            if let Some(text) = explanation[key].as_str().filter(|t| !t.trim().is_empty()) {
                reasons.push(text.trim().to_owned());
            }
        }
        if let Some(list) = explanation["reasons"].as_array() {
            reasons.extend(
                list.iter()
                    .filter_map(|r| r.as_str())
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty()),
            );
        }
        let terms: Vec<String> = ["concepts", "matched_terms", "terms"]
            .iter()
            .filter_map(|k| explanation[*k].as_array())
            .flatten()
            .filter_map(|t| {
                t.as_str()
                    .map(str::to_owned)
                    .or_else(|| t["label"].as_str().map(str::to_owned))
            })
            .take(8)
            .collect();
        if !terms.is_empty() {
            reasons.push(format!("Both speak of {}", terms.join(", ")));
        }
    }
    let challenge_sectors = json_list(&challenge.sectors);
    let shared: Vec<&str> = json_list(&solution.sectors)
        .iter()
        .filter(|s| challenge_sectors.contains(s))
        .filter_map(|s| Sector::parse(s).map(Sector::label))
        .collect();
    if !shared.is_empty() {
        reasons.push(format!("Same sector: {}", shared.join(", ")));
    }
    match challenge.min_trl {
        Some(min) => reasons.push(format!(
            "Technology readiness {} (the challenge asks for at least {min})",
            solution.trl
        )),
        None => reasons.push(format!("Technology readiness {}", solution.trl)),
    }
    if solution.global {
        reasons.push("The company serves every country".into());
    } else if json_list(&solution.countries).contains(&city.country) {
        reasons.push(format!("The company serves {}", city.country));
    }
    reasons
}

/// Queues one e-mail to each member of the organisation who wants activity mail:
/// `template` writes it for the member; the dedupe key is `key` plus the member's id.
/// Returns how many were queued.
fn queue_for_org(
    conn: &mut DbConn,
    links: &Links,
    org_id: &str,
    key: &str,
    template: impl Fn(&User) -> EmailTemplate,
) -> QueryResult<usize> {
    let mut queued = 0;
    for user in recipients_for_org(conn, org_id, NotificationKind::Activity)? {
        let email = OutgoingEmail {
            to: user.email.clone(),
            user_id: Some(user.id.clone()),
            template: template(&user),
            dedupe_key: format!("{key}:{}", user.id),
        };
        queued += usize::from(enqueue(conn, links, &email)?);
    }
    Ok(queued)
}
