//! The coordinators' curation queue: the matches of their member companies that wait for
//! a decision, with filters by sector and city, a decision per row (approve, dismiss,
//! introduce) and the same decisions for several selected rows at once. Reading and
//! deciding go through `api::curation::curation_queue` and `decide_match`, as for the API.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use super::explain::{Side, Why};
use super::form::{Fields, Form, FormState};
use super::views::{self, Choice};
use super::{redirect, render_status, session::Flash, Layout, PageCtx, PageError};
use crate::db::models::Organization;
use crate::db::schema::{challenges, organizations};
use crate::domain::{MatchStatus, OrgKind, Sector};
use crate::error::{ApiError, FieldErrors};
use crate::web::api::curation::{
    curation_queue, decide_match, require_coordinator, QueueFilter, QueueItem, QueueParams,
};

/// A waiting match as a row of the queue (`r.why`/`r.score` as `matches/why.html` wants).
pub struct QueueRow {
    pub id: String,
    pub score: String,
    pub status: String,
    pub status_label: &'static str,
    pub challenge_id: String,
    pub challenge: String,
    pub challenge_lang: String,
    pub city_id: String,
    pub city: String,
    pub country: String,
    pub solution_id: String,
    pub solution: String,
    pub solution_lang: String,
    pub company_id: String,
    pub company: String,
    pub sectors: Vec<&'static str>,
    pub can_approve: bool,
    pub why: Why,
}

impl QueueRow {
    fn new(
        item: &QueueItem,
        reader: &str,
        weights: &search_index::ranking::RankWeights,
    ) -> QueueRow {
        let c = &item.challenge;
        let s = &item.solution;
        let sides = [
            Side::new(&c.title, &c.summary, &c.description, &c.language),
            Side::new(&s.title, &s.summary, &s.description, &s.language),
        ];
        QueueRow {
            id: item.id.clone(),
            score: format!("{:.0}", item.score),
            status: item.status.clone(),
            status_label: views::match_status_label(&item.status),
            challenge_id: c.id.clone(),
            challenge: c.title.clone(),
            challenge_lang: views::html_lang(&c.language),
            city_id: c.organization.id.clone(),
            city: c.organization.name.clone(),
            country: views::country_name(&c.organization.country),
            solution_id: s.id.clone(),
            solution: s.title.clone(),
            solution_lang: views::html_lang(&s.language),
            company_id: s.organization.id.clone(),
            company: s.organization.name.clone(),
            sectors: c
                .sectors
                .iter()
                .filter_map(|x| Sector::parse(x))
                .map(Sector::label)
                .collect(),
            can_approve: MatchStatus::parse(&item.status)
                .is_some_and(|m| m.can_move_to(MatchStatus::Approved)),
            why: Why::new(
                &item.explanation.to_string(),
                item.score,
                reader,
                &sides,
                weights,
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "curation/queue.html")]
pub struct QueuePage {
    layout: Layout,
    rows: Vec<QueueRow>,
    sector: String,
    city: String,
    sectors: Vec<Choice>,
    cities: Vec<(String, String)>,
    /// The filters' and the bulk form's values and errors.
    form: FormState,
    /// The query string of the filters, to come back to after a decision.
    filters: String,
    verified: bool,
}

impl QueuePage {
    pub fn other_errors(&self) -> Vec<String> {
        self.form
            .other_errors(&["sector", "city", "action", "match", "one"])
    }
}

/// The filters as a query string (`sector=…&city=…`), without empty ones.
fn filter_query(sector: &str, city: &str) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    if !sector.is_empty() {
        q.append_pair("sector", sector);
    }
    if !city.is_empty() {
        q.append_pair("city", city);
    }
    q.finish()
}

fn queue_path(sector: &str, city: &str) -> String {
    match filter_query(sector, city) {
        q if q.is_empty() => "/curation".to_owned(),
        q => format!("/curation?{q}"),
    }
}

/// Shows the queue for `sector` and `city` (as typed), with `form`'s values and errors.
async fn show_queue(
    ctx: &PageCtx,
    sector: String,
    city: String,
    mut form: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    require_coordinator(&auth)?;
    let filter = match QueueFilter::parse(QueueParams {
        sector: Some(sector.clone()).filter(|s| !s.is_empty()),
        city: Some(city.clone()).filter(|s| !s.is_empty()),
    }) {
        Ok(f) => Some(f),
        Err(ApiError::Validation(errors)) => {
            form = form.with_errors(&errors);
            None
        }
        Err(e) => return Err(e.into()),
    };
    let status = if filter.is_none() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        status
    };
    let weights = ctx.state.matcher.solutions().weights();
    let reader = auth.user.locale.clone();
    let verified = auth.org.verified || auth.is_platform_admin();
    let (rows, cities) = ctx
        .state
        .db(move |conn| {
            let rows = match &filter {
                Some(f) => curation_queue(conn, &auth, f)?
                    .iter()
                    .map(|item| QueueRow::new(item, &reader, &weights))
                    .collect(),
                None => Vec::new(),
            };
            // Cities with open challenges, for the filter.
            let cities: Vec<Organization> = organizations::table
                .filter(organizations::kind.eq(OrgKind::City.as_str()))
                .filter(
                    organizations::id.eq_any(
                        challenges::table
                            .filter(challenges::status.eq("open"))
                            .select(challenges::organization_id),
                    ),
                )
                .order(organizations::name.asc())
                .select(Organization::as_select())
                .load(conn)?;
            Ok((
                rows,
                cities
                    .into_iter()
                    .map(|o| (o.id, o.name))
                    .collect::<Vec<_>>(),
            ))
        })
        .await?;
    form.set("sector", sector.clone());
    form.set("city", city.clone());
    render_status(
        status,
        &QueuePage {
            layout: ctx.layout("Curation queue", "curation"),
            rows,
            filters: filter_query(&sector, &city),
            sector,
            city,
            sectors: views::sector_choices(),
            cities,
            form,
            verified,
        },
    )
}

pub async fn queue(
    ctx: PageCtx,
    params: web::Query<QueueParams>,
) -> Result<HttpResponse, PageError> {
    let p = params.into_inner();
    show_queue(
        &ctx,
        p.sector.unwrap_or_default(),
        p.city.unwrap_or_default(),
        FormState::new(),
        StatusCode::OK,
    )
    .await
}

/// The decision a button or the bulk select asks for.
fn parse_action(action: &str) -> Option<MatchStatus> {
    match action {
        "approve" => Some(MatchStatus::Approved),
        "dismiss" => Some(MatchStatus::Dismissed),
        "introduce" => Some(MatchStatus::Introduced),
        _ => None,
    }
}

fn done_message(to: MatchStatus, count: usize) -> String {
    let one = count == 1;
    match to {
        MatchStatus::Approved if one => {
            "Approved: the match stays in the queue until you introduce or dismiss it.".into()
        }
        MatchStatus::Approved => format!(
            "{count} matches approved: they stay in the queue until you introduce or dismiss them."
        ),
        MatchStatus::Dismissed if one => {
            "Dismissed: the match leaves the queue and nobody is e-mailed.".into()
        }
        MatchStatus::Dismissed => {
            format!("{count} matches dismissed: they leave the queue and nobody is e-mailed.")
        }
        _ if one => "Introduced: the city and the company are e-mailed.".into(),
        _ => format!("{count} matches introduced: both sides of each are e-mailed."),
    }
}

/// A decision from the queue: a row's own button (`one=ACTION:ID`), or the bulk form
/// (`action` and the checked `match` boxes).
pub async fn decide(ctx: PageCtx, Form(fields): Form) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    require_coordinator(&auth)?;
    let sector = fields.get("sector").unwrap_or_default();
    let city = fields.get("city").unwrap_or_default();
    let back = queue_path(&sector, &city);
    let links = ctx.state.links.clone();

    if let Some(one) = fields.text("one") {
        let (to, id) = one
            .split_once(':')
            .and_then(|(action, id)| Some((parse_action(action)?, id.to_owned())))
            .ok_or_else(|| {
                ApiError::field(
                    "one",
                    "must be approve, dismiss or introduce and a match id",
                )
            })?;
        let decided = ctx
            .state
            .db(move |conn| decide_match(conn, &links, &auth, &id, to))
            .await;
        return match decided {
            Ok(_) => Ok(redirect(
                &back,
                Some(Flash::success(done_message(to, 1))),
                &ctx,
            )),
            Err(ApiError::Conflict(message)) => Ok(redirect(
                &back,
                Some(Flash::error(super::capitalise(&message))),
                &ctx,
            )),
            Err(e) => Err(e.into()),
        };
    }

    let (to, ids) = match bulk_choice(&fields) {
        Ok(choice) => choice,
        Err(errors) => {
            let form = FormState::from_fields(&fields).with_errors(&errors);
            return show_queue(&ctx, sector, city, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let outcomes = ctx
        .state
        .db(move |conn| {
            Ok(ids
                .iter()
                .map(|id| decide_match(conn, &links, &auth, id, to).map(|_| ()))
                .collect::<Vec<_>>())
        })
        .await?;
    let done = outcomes.iter().filter(|o| o.is_ok()).count();
    let mut failures: Vec<String> = Vec::new();
    let mut refused = false;
    for e in outcomes.into_iter().filter_map(Result::err) {
        let message = match e {
            ApiError::Forbidden(m) => {
                refused = true;
                m
            }
            ApiError::Conflict(m) | ApiError::NotFound(m) => m,
            other => return Err(other.into()),
        };
        if !failures.contains(&message) {
            failures.push(message);
        }
    }
    if done == 0 && refused {
        return Err(ApiError::Forbidden(format!(
            "none of the selected matches could be changed: {}",
            failures.join("; ")
        ))
        .into());
    }
    let flash = match (done, failures.is_empty()) {
        (_, true) => Flash::success(done_message(to, done)),
        (0, false) => Flash::error(format!("Nothing was changed: {}.", failures.join("; "))),
        _ => Flash::error(format!(
            "{} Some could not be: {}.",
            done_message(to, done),
            failures.join("; ")
        )),
    };
    Ok(redirect(&back, Some(flash), &ctx))
}

/// The bulk form's decision and selected matches, or a message for each field.
fn bulk_choice(fields: &Fields) -> Result<(MatchStatus, Vec<String>), FieldErrors> {
    let mut errors = FieldErrors::new();
    let to = match fields.text("action") {
        None => {
            errors.add("action", "choose what to do with the selected matches");
            None
        }
        Some(a) => match parse_action(&a) {
            Some(to) => Some(to),
            None => {
                errors.add("action", "must be approve, dismiss or introduce");
                None
            }
        },
    };
    let ids: Vec<String> = fields
        .all("match")
        .into_iter()
        .filter(|id| !id.trim().is_empty())
        .collect();
    if ids.is_empty() {
        errors.add("match", "select at least one match in the list");
    }
    match to {
        Some(to) if errors.is_empty() => Ok((to, ids)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_form_names_what_is_missing() {
        let none = Fields::from_pairs(vec![]);
        let errors = bulk_choice(&none).expect_err("nothing chosen");
        assert!(errors.0.contains_key("action") && errors.0.contains_key("match"));
        let chosen = Fields::from_pairs(vec![
            ("action".into(), "introduce".into()),
            ("match".into(), "m1".into()),
            ("match".into(), "m2".into()),
        ]);
        let (to, ids) = bulk_choice(&chosen).expect("valid");
        assert_eq!(to, MatchStatus::Introduced);
        assert_eq!(ids, vec!["m1", "m2"]);
        assert_eq!(queue_path("energy", ""), "/curation?sector=energy");
        assert_eq!(queue_path("", ""), "/curation");
    }
}
