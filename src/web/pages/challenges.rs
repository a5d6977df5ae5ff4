//! Challenge pages: the list with search and filters, a challenge, posting and editing
//! (cities), moving its status, and responding to it (companies).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use super::form::{parse_int, parse_number, split_list, Fields, Form, FormState};
use super::matches::{solution_item, MatchItem};
use super::views::{self, ChallengeCard, Choice, Pager};
use super::{redirect, render, render_status, session::Flash, Layout, PageCtx, PageError};
use crate::db::models::{Challenge, Organization};
use crate::db::schema::{organizations, solutions};
use crate::domain::challenge::{ChallengeData, ChallengeInput, ChallengeStatus};
use crate::domain::ResponseStatus;
use crate::domain::{json_list, OrgKind};
use crate::error::{ApiError, FieldErrors};
use crate::web::api::challenges::{
    create_challenge, edit_challenge, load_owned, load_visible, ChallengeFilter,
    ChallengeListParams,
};
use crate::web::api::matches::matches_of_challenge;
use crate::web::api::paging;
use crate::web::api::responses::{
    decide_response, list_responses, submit_response, ResponseInput, ResponseOut,
};

const PER_PAGE: i64 = 12;

#[derive(Template)]
#[template(path = "challenges/list.html")]
pub struct ListPage {
    layout: Layout,
    heading: String,
    items: Vec<ChallengeCard>,
    pager: Pager,
    q: String,
    sector: String,
    country: String,
    stage: String,
    status: String,
    mine: bool,
    sectors: Vec<Choice>,
    stages: Vec<Choice>,
    statuses: Vec<Choice>,
    countries: Vec<(String, String)>,
    problem: Option<String>,
}

/// Countries that have cities, by name, for the country filter.
fn city_countries(conn: &mut crate::db::DbConn) -> QueryResult<Vec<(String, String)>> {
    let codes: Vec<String> = organizations::table
        .filter(organizations::kind.eq(OrgKind::City.as_str()))
        .select(organizations::country)
        .distinct()
        .load(conn)?;
    let mut out: Vec<(String, String)> = codes
        .into_iter()
        .map(|c| {
            let name = views::country_name(&c);
            (c, name)
        })
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    Ok(out)
}

pub async fn list(
    ctx: PageCtx,
    params: web::Query<ChallengeListParams>,
) -> Result<HttpResponse, PageError> {
    let p = params.into_inner();
    let keep = |v: &Option<String>| v.clone().unwrap_or_default();
    let (q, sector, country, stage, status) = (
        keep(&p.q),
        keep(&p.sector),
        keep(&p.country),
        keep(&p.stage),
        keep(&p.status),
    );
    let mine = matches!(p.mine.as_deref(), Some("true" | "1"));
    if mine {
        ctx.require_login()?;
    }
    let mut problem = None;
    let page = match paging(p.page.as_deref(), None) {
        Ok((page, _)) => page,
        Err(_) => 1,
    };
    let filter = match ChallengeFilter::parse(
        ChallengeListParams {
            page: None,
            per_page: None,
            ..p
        },
        ctx.auth.as_ref(),
    ) {
        Ok(f) => Some(f),
        Err(ApiError::Validation(errors)) => {
            problem = Some(format!("Some filters could not be used: {errors}."));
            None
        }
        Err(e) => return Err(e.into()),
    };
    let matcher = ctx.state.matcher.clone();
    let (rows, total, countries) = ctx
        .state
        .db(move |conn| {
            let countries = city_countries(conn)?;
            match filter {
                Some(f) => {
                    let (rows, total) = f.run(conn, &matcher, page, PER_PAGE)?;
                    Ok((rows, total, countries))
                }
                None => Ok((Vec::new(), 0, countries)),
            }
        })
        .await?;
    let pager = Pager::new(
        "/challenges",
        &[
            ("q", Some(q.clone())),
            ("sector", Some(sector.clone())),
            ("country", Some(country.clone())),
            ("stage", Some(stage.clone())),
            ("status", Some(status.clone())),
            ("mine", mine.then(|| "1".to_owned())),
        ],
        page,
        PER_PAGE,
        total,
    );
    let heading = if mine {
        "Your city's challenges".to_owned()
    } else {
        "Challenges".to_owned()
    };
    render(&ListPage {
        layout: ctx.layout(heading.clone(), if mine { "mine" } else { "challenges" }),
        heading,
        items: rows.iter().map(|(c, o)| ChallengeCard::new(c, o)).collect(),
        pager,
        q,
        sector,
        country,
        stage,
        status,
        mine,
        sectors: views::sector_choices(),
        stages: views::stage_choices(),
        statuses: views::challenge_status_choices(),
        countries,
        problem,
    })
}

/// A challenge with every field as a person reads it.
pub struct ChallengeView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub paragraphs: Vec<String>,
    pub lang: String,
    pub language: &'static str,
    pub city_id: String,
    pub city: String,
    pub country: String,
    pub sectors: Vec<&'static str>,
    pub plan_name: Option<String>,
    pub action_reference: Option<String>,
    pub target_year: Option<i32>,
    pub baseline: Option<String>,
    pub target_reduction: Option<String>,
    pub budget: Option<String>,
    pub stage: &'static str,
    pub min_trl: Option<i32>,
    pub co_benefits: Vec<String>,
    pub deadline: Option<String>,
    pub status: String,
    pub status_label: &'static str,
    pub opened: Option<String>,
    pub updated: String,
}

/// Text split into paragraphs at blank lines.
pub fn paragraphs(text: &str) -> Vec<String> {
    text.split("\n\n")
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

impl ChallengeView {
    fn new(c: &Challenge, city: &Organization) -> ChallengeView {
        ChallengeView {
            id: c.id.clone(),
            title: c.title.clone(),
            summary: c.summary.clone(),
            paragraphs: paragraphs(&c.description),
            lang: views::html_lang(&c.language),
            language: views::language_label(&c.language),
            city_id: city.id.clone(),
            city: city.name.clone(),
            country: views::country_name(&city.country),
            sectors: views::sector_labels(&c.sectors),
            plan_name: c.plan_name.clone(),
            action_reference: c.action_reference.clone(),
            target_year: c.target_year,
            baseline: c.baseline_tco2e.map(views::tonnes),
            target_reduction: c.target_reduction_tco2e.map(views::tonnes),
            budget: views::budget(c.budget_min_eur, c.budget_max_eur),
            stage: views::stage_label(&c.stage),
            min_trl: c.min_trl,
            co_benefits: json_list(&c.co_benefits)
                .iter()
                .map(|b| b.replace('_', " "))
                .collect(),
            deadline: c.response_deadline.as_deref().map(views::day),
            status: c.status.clone(),
            status_label: views::challenge_status_label(&c.status),
            opened: c.opened_at.as_ref().map(views::date),
            updated: views::date(&c.updated_at),
        }
    }

    pub fn has_plan(&self) -> bool {
        self.plan_name.is_some() || self.action_reference.is_some() || self.target_year.is_some()
    }

    pub fn has_scale(&self) -> bool {
        self.baseline.is_some() || self.target_reduction.is_some() || self.budget.is_some()
    }
}

/// A status move offered to the owner as a button.
pub struct StatusAction {
    pub to: &'static str,
    pub label: &'static str,
    pub primary: bool,
    pub confirm: &'static str,
}

fn challenge_actions(status: &str) -> Vec<StatusAction> {
    let action = |to, label, primary, confirm| StatusAction {
        to,
        label,
        primary,
        confirm,
    };
    match ChallengeStatus::parse(status) {
        Some(ChallengeStatus::Draft) => vec![action("open", "Open for responses", true, "")],
        Some(ChallengeStatus::Open) => vec![
            action(
                "closed",
                "Close to responses",
                false,
                "Close this challenge? Companies can no longer respond.",
            ),
            action(
                "draft",
                "Back to draft",
                false,
                "Take this challenge back to draft? It will no longer be public.",
            ),
        ],
        Some(ChallengeStatus::Closed) => vec![action("open", "Reopen", true, "")],
        _ => Vec::new(),
    }
}

/// A city's possible decision on a response, offered as a button.
pub struct Decision {
    pub to: &'static str,
    pub label: &'static str,
    pub primary: bool,
    pub confirm: &'static str,
}

/// A response as its reader sees it, with the decisions the city can still make.
pub struct ResponseView {
    pub r: ResponseOut,
    pub status_label: &'static str,
    pub received: String,
    pub decisions: Vec<Decision>,
}

impl ResponseView {
    fn new(r: ResponseOut, decides: bool) -> ResponseView {
        let from = ResponseStatus::parse(&r.status);
        let offer = |to: ResponseStatus, label, primary, confirm| {
            from.filter(|f| decides && f.can_move_to(to))
                .map(|_| Decision {
                    to: to.as_str(),
                    label,
                    primary,
                    confirm,
                })
        };
        let decisions = [
            offer(ResponseStatus::Shortlisted, "Shortlist", true, ""),
            offer(
                ResponseStatus::Awarded,
                "Award",
                true,
                "Award this response? The company is told by e-mail; an award is final.",
            ),
            offer(
                ResponseStatus::Declined,
                "Decline",
                false,
                "Decline this response? The company is told by e-mail.",
            ),
        ]
        .into_iter()
        .flatten()
        .collect();
        ResponseView {
            status_label: views::response_status_label(&r.status),
            received: views::date(&r.created_at),
            decisions,
            r,
        }
    }
}

#[derive(Template)]
#[template(path = "challenges/show.html")]
pub struct ShowPage {
    layout: Layout,
    c: ChallengeView,
    is_owner: bool,
    actions: Vec<StatusAction>,
    responses: Vec<ResponseView>,
    matches: Vec<MatchItem>,
    can_respond: bool,
    my_solutions: Vec<(String, String)>,
    respond: FormState,
    login_to_respond: String,
}

/// What the challenge page shows, as far as the viewer may see it.
struct ShowData {
    challenge: Challenge,
    city: Organization,
    responses: Vec<ResponseOut>,
    matches: Vec<MatchItem>,
    /// The viewing company's published solutions (id, title), to respond with.
    my_solutions: Vec<(String, String)>,
}

fn show_data(
    conn: &mut crate::db::DbConn,
    id: &str,
    auth: Option<&crate::auth::Auth>,
    weights: &search_index::ranking::RankWeights,
) -> Result<ShowData, ApiError> {
    let (c, city) = load_visible(conn, id, auth)?;
    let mut responses = Vec::new();
    let mut ranked = Vec::new();
    let mut mine = Vec::new();
    if let Some(auth) = auth {
        let owner = auth.may_act_for(&c.organization_id);
        if owner || auth.kind() == Some(OrgKind::Company) {
            responses = list_responses(conn, auth, &c.id)?;
        }
        if owner {
            let (_, rows) = matches_of_challenge(conn, auth, &c.id)?;
            ranked = rows
                .iter()
                .filter(|(_, s, _)| s.status == "published")
                .map(|(m, s, o)| solution_item(m, &c, s, o, auth, weights))
                .collect();
        }
        if auth.kind() == Some(OrgKind::Company) {
            mine = solutions::table
                .filter(solutions::organization_id.eq(&auth.org.id))
                .filter(solutions::status.eq("published"))
                .order(solutions::title.asc())
                .select((solutions::id, solutions::title))
                .load(conn)?;
        }
    }
    Ok(ShowData {
        challenge: c,
        city,
        responses,
        matches: ranked,
        my_solutions: mine,
    })
}

async fn show_page(
    ctx: &PageCtx,
    id: String,
    respond: FormState,
    status: StatusCode,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.auth.clone();
    let weights = ctx.state.matcher.solutions().weights();
    let ShowData {
        challenge: c,
        city,
        responses,
        matches,
        my_solutions,
    } = ctx
        .state
        .db(move |conn| show_data(conn, &id, auth.as_ref(), &weights))
        .await?;
    let is_owner = ctx
        .auth
        .as_ref()
        .is_some_and(|a| a.may_act_for(&c.organization_id));
    let can_respond = c.status == "open"
        && ctx
            .auth
            .as_ref()
            .is_some_and(|a| a.kind() == Some(OrgKind::Company));
    let view = ChallengeView::new(&c, &city);
    render_status(
        status,
        &ShowPage {
            layout: ctx.layout(view.title.clone(), "challenges"),
            actions: if is_owner {
                challenge_actions(&c.status)
            } else {
                Vec::new()
            },
            login_to_respond: format!("/login?next=/challenges/{}", view.id),
            c: view,
            is_owner,
            responses: responses
                .into_iter()
                .map(|r| ResponseView::new(r, is_owner))
                .collect(),
            matches,
            can_respond,
            my_solutions,
            respond,
        },
    )
}

pub async fn show(ctx: PageCtx, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    show_page(&ctx, id.into_inner(), FormState::new(), StatusCode::OK).await
}

#[derive(Template)]
#[template(path = "challenges/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
    sectors: Vec<Choice>,
    stages: Vec<Choice>,
    languages: Vec<Choice>,
    trls: Vec<i32>,
}

/// The fields the challenge form shows; errors for others go to the summary.
const FORM_FIELDS: &[&str] = &[
    "title",
    "summary",
    "description",
    "sectors",
    "co_benefits",
    "language",
    "plan_name",
    "action_reference",
    "target_year",
    "baseline_tco2e",
    "target_reduction_tco2e",
    "budget_min_eur",
    "budget_max_eur",
    "stage",
    "min_trl",
    "response_deadline",
];

impl FormPage {
    fn new(ctx: &PageCtx, editing: Option<&str>, form: FormState) -> FormPage {
        let heading = match editing {
            Some(_) => "Edit the challenge",
            None => "Post a challenge",
        };
        FormPage {
            layout: ctx.layout(heading, "post-challenge"),
            heading: heading.to_owned(),
            action: editing.map_or("/challenges".to_owned(), |id| {
                format!("/challenges/{id}/edit")
            }),
            cancel: editing.map_or("/account".to_owned(), |id| format!("/challenges/{id}")),
            editing: editing.is_some(),
            form,
            sectors: views::sector_choices(),
            stages: views::stage_choices(),
            languages: views::language_choices(),
            trls: (1..=9).collect(),
        }
    }

    pub fn other_errors(&self) -> Vec<String> {
        self.form.other_errors(FORM_FIELDS)
    }
}

/// The posted form as the API's input type, with the errors of fields that are not even
/// numbers; `ChallengeData::parse` checks the rest, as for the API.
fn input_from_form(f: &Fields) -> (ChallengeInput, FieldErrors) {
    let mut errors = FieldErrors::new();
    let input = ChallengeInput {
        title: f.get("title"),
        summary: f.get("summary"),
        description: f.get("description"),
        sectors: Some(f.all("sectors")),
        plan_name: f.get("plan_name"),
        action_reference: f.get("action_reference"),
        target_year: parse_int(&mut errors, "target_year", f.get("target_year")),
        baseline_tco2e: parse_number(&mut errors, "baseline_tco2e", f.get("baseline_tco2e")),
        target_reduction_tco2e: parse_number(
            &mut errors,
            "target_reduction_tco2e",
            f.get("target_reduction_tco2e"),
        ),
        budget_min_eur: parse_int(&mut errors, "budget_min_eur", f.get("budget_min_eur")),
        budget_max_eur: parse_int(&mut errors, "budget_max_eur", f.get("budget_max_eur")),
        stage: f.text("stage"),
        min_trl: parse_int(&mut errors, "min_trl", f.get("min_trl")),
        co_benefits: split_list(f.get("co_benefits")),
        language: f.text("language"),
        response_deadline: f.text("response_deadline"),
        status: None,
    };
    (input, errors)
}

/// Every error of the form at once: not-a-number errors and the domain's own.
fn check(input: &ChallengeInput, mut errors: FieldErrors) -> Result<(), FieldErrors> {
    if let Err(domain) = ChallengeData::parse(input.clone()) {
        for (k, v) in domain.0 {
            errors.add(k, v);
        }
    }
    errors.into_result(())
}

fn form_from_stored(c: &Challenge) -> FormState {
    let input = ChallengeInput::from_stored(c);
    let mut f = FormState::new();
    f.set_opt("title", input.title);
    f.set_opt("summary", input.summary);
    f.set_opt("description", input.description);
    f.set_all("sectors", input.sectors.unwrap_or_default());
    f.set(
        "co_benefits",
        input.co_benefits.unwrap_or_default().join(", "),
    );
    f.set_opt("language", input.language);
    f.set_opt("plan_name", input.plan_name);
    f.set_opt("action_reference", input.action_reference);
    f.set_opt("target_year", input.target_year);
    f.set_opt("baseline_tco2e", input.baseline_tco2e);
    f.set_opt("target_reduction_tco2e", input.target_reduction_tco2e);
    f.set_opt("budget_min_eur", input.budget_min_eur);
    f.set_opt("budget_max_eur", input.budget_max_eur);
    f.set_opt("stage", input.stage);
    f.set_opt("min_trl", input.min_trl);
    f.set_opt("response_deadline", input.response_deadline);
    f
}

fn require_city(ctx: &PageCtx) -> Result<&crate::auth::Auth, PageError> {
    let auth = ctx.require_login()?;
    auth.require_kind(OrgKind::City, "post challenges")?;
    Ok(auth)
}

pub async fn new_form(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    require_city(&ctx)?;
    let mut form = FormState::new();
    form.set("stage", "market_dialogue");
    render(&FormPage::new(&ctx, None, form))
}

pub async fn create(ctx: PageCtx, Form(fields): Form) -> Result<HttpResponse, PageError> {
    let auth = require_city(&ctx)?.clone();
    let (mut input, errors) = input_from_form(&fields);
    let open = fields.get("intent").as_deref() == Some("open");
    input.status = Some(if open { "open" } else { "draft" }.to_owned());
    let shown = FormState::from_fields(&fields);
    if let Err(errors) = check(&input, errors) {
        let page = FormPage::new(&ctx, None, shown.with_errors(&errors));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let data = ChallengeData::parse(input).map_err(ApiError::from)?;
    let matcher = ctx.state.matcher.clone();
    let saved = ctx
        .state
        .db(move |conn| create_challenge(conn, &matcher, &auth, &data))
        .await;
    match saved {
        Ok(row) => {
            let flash = if row.status == "open" {
                Flash::success("Your challenge is open: companies can find it and respond.")
            } else {
                Flash::success("Draft saved. Only your city sees it until you open it.")
            };
            Ok(redirect(
                &format!("/challenges/{}", row.id),
                Some(flash),
                &ctx,
            ))
        }
        Err(ApiError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::new(&ctx, None, shown.with_errors(&errors)),
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn edit_form(ctx: PageCtx, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let id = id.into_inner();
    let lookup = id.clone();
    let (c, _) = ctx
        .state
        .db(move |conn| load_owned(conn, &lookup, &auth))
        .await?;
    render(&FormPage::new(&ctx, Some(&id), form_from_stored(&c)))
}

pub async fn update(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let id = id.into_inner();
    let (input, errors) = input_from_form(&fields);
    let shown = FormState::from_fields(&fields);
    if let Err(errors) = check(&input, errors) {
        let page = FormPage::new(&ctx, Some(&id), shown.with_errors(&errors));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let target = id.clone();
    let matcher = ctx.state.matcher.clone();
    let saved = ctx
        .state
        .db(move |conn| {
            edit_challenge(conn, &matcher, &auth, &target, |stored| {
                Ok(ChallengeInput {
                    status: stored.status,
                    ..input
                })
            })
        })
        .await;
    match saved {
        Ok(_) => Ok(redirect(
            &format!("/challenges/{id}"),
            Some(Flash::success("Your changes are saved.")),
            &ctx,
        )),
        Err(ApiError::Validation(errors)) => render_status(
            StatusCode::UNPROCESSABLE_ENTITY,
            &FormPage::new(&ctx, Some(&id), shown.with_errors(&errors)),
        ),
        Err(e) => Err(e.into()),
    }
}

pub async fn set_status(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let id = id.into_inner();
    let to = fields.get("to").unwrap_or_default();
    let target = id.clone();
    let wanted = to.clone();
    let matcher = ctx.state.matcher.clone();
    let moved = ctx
        .state
        .db(move |conn| {
            edit_challenge(conn, &matcher, &auth, &target, |stored| {
                Ok(ChallengeInput {
                    status: Some(wanted),
                    ..stored
                })
            })
        })
        .await;
    let back = format!("/challenges/{id}");
    let flash = match moved {
        Ok((row, _)) => Flash::success(match row.status.as_str() {
            "open" => "The challenge is open: companies can find it and respond.",
            "closed" => "The challenge is closed to new responses.",
            "draft" => "The challenge is a draft again; only your city sees it.",
            _ => "The challenge's status is changed.",
        }),
        Err(ApiError::Conflict(message)) => Flash::error(super::capitalise(&message)),
        Err(ApiError::Validation(errors)) => Flash::error(format!(
            "The challenge cannot change to {to:?} as it is: {errors}. Edit it first."
        )),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&back, Some(flash), &ctx))
}

pub async fn respond(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let id = id.into_inner();
    let input = ResponseInput {
        solution_id: fields.text("solution_id"),
        message: fields.get("message"),
    };
    let target = id.clone();
    let links = ctx.state.links.clone();
    let sent = ctx
        .state
        .db(move |conn| submit_response(conn, &links, &auth, &target, input))
        .await;
    match sent {
        Ok(_) => Ok(redirect(
            &format!("/challenges/{id}#responses"),
            Some(Flash::success(
                "Your response is sent. The city will see it with your solution.",
            )),
            &ctx,
        )),
        Err(ApiError::Validation(errors)) => {
            let shown = FormState::from_fields(&fields).with_errors(&errors);
            show_page(&ctx, id, shown, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(ApiError::Conflict(message)) => Ok(redirect(
            &format!("/challenges/{id}"),
            Some(Flash::error(super::capitalise(&message))),
            &ctx,
        )),
        Err(e) => Err(e.into()),
    }
}

/// A city decides on a response from its challenge page: shortlist, decline or award,
/// through the same function as the API; the company is e-mailed.
pub async fn decide(
    ctx: PageCtx,
    id: web::Path<String>,
    Form(fields): Form,
) -> Result<HttpResponse, PageError> {
    let auth = ctx.require_login()?.clone();
    let response_id = id.into_inner();
    let to = fields
        .get("to")
        .as_deref()
        .and_then(ResponseStatus::parse)
        .filter(|s| *s != ResponseStatus::Submitted)
        .ok_or_else(|| ApiError::field("to", "must be one of shortlisted, declined, awarded"))?;
    let back_to = fields.text("challenge_id").map(|c| {
        let c: String = form_urlencoded::byte_serialize(c.as_bytes()).collect();
        format!("/challenges/{c}#responses")
    });
    let links = ctx.state.links.clone();
    let decided = ctx
        .state
        .db(move |conn| decide_response(conn, &links, &auth, &response_id, to))
        .await;
    match decided {
        Ok(r) => {
            let company = &r.organization.name;
            let message = match to {
                ResponseStatus::Shortlisted => {
                    format!("{company} is on the shortlist; they are told by e-mail.")
                }
                ResponseStatus::Awarded => {
                    format!("Awarded to {company}; they are told by e-mail.")
                }
                _ => format!("The response of {company} is declined; they are told by e-mail."),
            };
            Ok(redirect(
                &format!("/challenges/{}#responses", r.challenge_id),
                Some(Flash::success(message)),
                &ctx,
            ))
        }
        Err(ApiError::Conflict(message)) => Ok(redirect(
            back_to.as_deref().unwrap_or("/account"),
            Some(Flash::error(super::capitalise(&message))),
            &ctx,
        )),
        Err(e) => Err(e.into()),
    }
}
