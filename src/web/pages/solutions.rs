//! Solution pages: the list with search and filters, a solution, registering and editing
//! (companies), and moving its status.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::challenges::{paragraphs, StatusAction};
use super::form::{parse_int, parse_number, split_list, Fields, Form, FormState};
use super::matches::{open_challenges_for, MatchItem};
use super::views::{self, Choice, Pager, SolutionCard};
use super::{redirect, render, render_status, session::Flash, Layout, PageCtx, PageError};
use crate::db::models::{Organization, Solution};
use crate::domain::solution::{SolutionData, SolutionInput, SolutionStatus};
use crate::domain::{json_list, OrgKind};
use crate::error::{ApiError, FieldErrors};
use crate::web::api::paging;
use crate::web::api::solutions::{
    create_solution, edit_solution, load_owned, load_visible, SolutionFilter, SolutionListParams,
};

const PER_PAGE: i64 = 12;

#[derive(Template)]
#[template(path = "solutions/list.html")]
pub struct ListPage {
    layout: Layout,
    heading: String,
    items: Vec<SolutionCard>,
    pager: Pager,
    q: String,
    sector: String,
    country: String,
    trl_min: String,
    mine: bool,
    sectors: Vec<Choice>,
    countries: Vec<(String, String)>,
    trls: Vec<i32>,
    problem: Option<String>,
}

/// Every country by name, for the "serves" filter.
pub fn all_countries() -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = isocountry::CountryCode::iter()
        .map(|c| (c.alpha2().to_owned(), c.name().to_owned()))
        .collect();
    out.sort_by(|a, b| a.1.cmp(&b.1));
    out
}

pub async fn list(
    ctx: PageCtx,
    params: web::Query<SolutionListParams>,
) -> Result<HttpResponse, PageError> {
    let p = params.into_inner();
    let keep = |v: &Option<String>| v.clone().unwrap_or_default();
    let (q, sector, country, trl_min) = (
        keep(&p.q),
        keep(&p.sector),
        keep(&p.country),
        keep(&p.trl_min),
    );
    let mine = matches!(p.mine.as_deref(), Some("true" | "1"));
    if mine {
        ctx.require_login()?;
    }
    let page = paging(p.page.as_deref(), None).map_or(1, |(page, _)| page);
    let mut problem = None;
    let filter = match SolutionFilter::parse(
        SolutionListParams {
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
    let (rows, total) = ctx
        .state
        .db(move |conn| match filter {
            Some(f) => Ok(f.run(conn, &matcher, page, PER_PAGE)?),
            None => Ok((Vec::new(), 0)),
        })
        .await?;
    let pager = Pager::new(
        "/solutions",
        &[
            ("q", Some(q.clone())),
            ("sector", Some(sector.clone())),
            ("country", Some(country.clone())),
            ("trl_min", Some(trl_min.clone())),
            ("mine", mine.then(|| "1".to_owned())),
        ],
        page,
        PER_PAGE,
        total,
    );
    let heading = if mine {
        "Your company's solutions"
    } else {
        "Solutions"
    };
    render(&ListPage {
        layout: ctx.layout(heading, "solutions"),
        heading: heading.to_owned(),
        items: rows.iter().map(|(s, o)| SolutionCard::new(s, o)).collect(),
        pager,
        q,
        sector,
        country,
        trl_min,
        mine,
        sectors: views::sector_choices(),
        countries: all_countries(),
        trls: (1..=9).collect(),
        problem,
    })
}

pub struct SolutionView {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub paragraphs: Vec<String>,
    pub lang: String,
    pub language: &'static str,
    pub company_id: String,
    pub company: String,
    pub company_country: String,
    pub sectors: Vec<&'static str>,
    pub trl: i32,
    pub serves: String,
    pub reference_deployments: Vec<String>,
    pub claimed_reduction: String,
    pub claimed_tonnes: Option<String>,
    pub price_model: String,
    pub status: String,
    pub status_label: &'static str,
    pub updated: String,
}

impl SolutionView {
    fn new(s: &Solution, company: &Organization) -> SolutionView {
        SolutionView {
            id: s.id.clone(),
            title: s.title.clone(),
            summary: s.summary.clone(),
            paragraphs: paragraphs(&s.description),
            lang: views::html_lang(&s.language),
            language: views::language_label(&s.language),
            company_id: company.id.clone(),
            company: company.name.clone(),
            company_country: views::country_name(&company.country),
            sectors: views::sector_labels(&s.sectors),
            trl: s.trl,
            serves: views::serves(s),
            reference_deployments: paragraphs(&s.reference_deployments),
            claimed_reduction: s.claimed_reduction.clone(),
            claimed_tonnes: s.claimed_reduction_tco2e.map(views::tonnes),
            price_model: s.price_model.clone(),
            status: s.status.clone(),
            status_label: views::solution_status_label(&s.status),
            updated: views::date(&s.updated_at),
        }
    }
}

fn solution_actions(status: &str) -> Vec<StatusAction> {
    let action = |to, label, primary, confirm| StatusAction {
        to,
        label,
        primary,
        confirm,
    };
    match SolutionStatus::parse(status) {
        Some(SolutionStatus::Draft) => vec![action("published", "Publish", true, "")],
        Some(SolutionStatus::Published) => vec![
            action(
                "archived",
                "Archive",
                false,
                "Archive this solution? It will no longer be public or matched.",
            ),
            action("draft", "Back to draft", false, ""),
        ],
        Some(SolutionStatus::Archived) => vec![action("published", "Publish again", true, "")],
        None => Vec::new(),
    }
}

#[derive(Template)]
#[template(path = "solutions/show.html")]
pub struct ShowPage {
    layout: Layout,
    s: SolutionView,
    is_owner: bool,
    actions: Vec<StatusAction>,
    matches: Vec<MatchItem>,
}

pub async fn show(ctx: PageCtx, id: web::Path<String>) -> Result<HttpResponse, PageError> {
    let id = id.into_inner();
    let auth = ctx.auth.clone();
    let weights = ctx.state.matcher.challenges().weights();
    let (s, company, ranked) = ctx
        .state
        .db(move |conn| {
            let (s, company) = load_visible(conn, &id, auth.as_ref())?;
            let ranked = match auth.as_ref() {
                Some(a) if a.may_act_for(&s.organization_id) => {
                    open_challenges_for(conn, a, &s.id, &weights)?
                }
                _ => Vec::new(),
            };
            Ok((s, company, ranked))
        })
        .await?;
    let is_owner = ctx
        .auth
        .as_ref()
        .is_some_and(|a| a.may_act_for(&s.organization_id));
    let view = SolutionView::new(&s, &company);
    render(&ShowPage {
        layout: ctx.layout(view.title.clone(), "solutions"),
        actions: if is_owner {
            solution_actions(&s.status)
        } else {
            Vec::new()
        },
        s: view,
        is_owner,
        matches: ranked,
    })
}

#[derive(Template)]
#[template(path = "solutions/form.html")]
pub struct FormPage {
    layout: Layout,
    heading: String,
    action: String,
    cancel: String,
    editing: bool,
    form: FormState,
    sectors: Vec<Choice>,
    languages: Vec<Choice>,
    trls: Vec<i32>,
}

const FORM_FIELDS: &[&str] = &[
    "title",
    "summary",
    "description",
    "sectors",
    "trl",
    "countries",
    "global",
    "reference_deployments",
    "claimed_reduction",
    "claimed_reduction_tco2e",
    "price_model",
    "language",
];

impl FormPage {
    fn new(ctx: &PageCtx, editing: Option<&str>, form: FormState) -> FormPage {
        let heading = match editing {
            Some(_) => "Edit the solution",
            None => "Register a solution",
        };
        FormPage {
            layout: ctx.layout(heading, "post-solution"),
            heading: heading.to_owned(),
            action: editing.map_or("/solutions".to_owned(), |id| {
                format!("/solutions/{id}/edit")
            }),
            cancel: editing.map_or("/account".to_owned(), |id| format!("/solutions/{id}")),
            editing: editing.is_some(),
            form,
            sectors: views::sector_choices(),
            languages: views::language_choices(),
            trls: (1..=9).collect(),
        }
    }

    pub fn other_errors(&self) -> Vec<String> {
        self.form.other_errors(FORM_FIELDS)
    }
}

fn input_from_form(f: &Fields) -> (SolutionInput, FieldErrors) {
    let mut errors = FieldErrors::new();
    let input = SolutionInput {
        title: f.get("title"),
        summary: f.get("summary"),
        description: f.get("description"),
        sectors: Some(f.all("sectors")),
        trl: parse_int(&mut errors, "trl", f.get("trl")),
        countries: split_list(f.get("countries")),
        global: Some(f.get("global").is_some()),
        reference_deployments: f.get("reference_deployments"),
        claimed_reduction: f.get("claimed_reduction"),
        claimed_reduction_tco2e: parse_number(
            &mut errors,
            "claimed_reduction_tco2e",
            f.get("claimed_reduction_tco2e"),
        ),
        price_model: f.get("price_model"),
        language: f.text("language"),
        status: None,
    };
    (input, errors)
}

fn check(input: &SolutionInput, mut errors: FieldErrors) -> Result<(), FieldErrors> {
    if let Err(domain) = SolutionData::parse(input.clone()) {
        for (k, v) in domain.0 {
            errors.add(k, v);
        }
    }
    errors.into_result(())
}

fn form_from_stored(s: &Solution) -> FormState {
    let input = SolutionInput::from_stored(s);
    let mut f = FormState::new();
    f.set_opt("title", input.title);
    f.set_opt("summary", input.summary);
    f.set_opt("description", input.description);
    f.set_all("sectors", input.sectors.unwrap_or_default());
    f.set_opt("trl", input.trl);
    f.set("countries", json_list(&s.countries).join(", "));
    if s.global {
        f.set("global", "on");
    }
    f.set_opt("reference_deployments", input.reference_deployments);
    f.set_opt("claimed_reduction", input.claimed_reduction);
    f.set_opt("claimed_reduction_tco2e", input.claimed_reduction_tco2e);
    f.set_opt("price_model", input.price_model);
    f.set_opt("language", input.language);
    f
}

fn require_company(ctx: &PageCtx) -> Result<&crate::auth::Auth, PageError> {
    let auth = ctx.require_login()?;
    auth.require_kind(OrgKind::Company, "register solutions")?;
    Ok(auth)
}

pub async fn new_form(ctx: PageCtx) -> Result<HttpResponse, PageError> {
    require_company(&ctx)?;
    let mut form = FormState::new();
    if let Some(auth) = &ctx.auth {
        form.set("countries", auth.org.country.clone());
    }
    render(&FormPage::new(&ctx, None, form))
}

pub async fn create(ctx: PageCtx, Form(fields): Form) -> Result<HttpResponse, PageError> {
    let auth = require_company(&ctx)?.clone();
    let (mut input, errors) = input_from_form(&fields);
    let publish = fields.get("intent").as_deref() == Some("published");
    input.status = Some(if publish { "published" } else { "draft" }.to_owned());
    let shown = FormState::from_fields(&fields);
    if let Err(errors) = check(&input, errors) {
        let page = FormPage::new(&ctx, None, shown.with_errors(&errors));
        return render_status(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let data = SolutionData::parse(input).map_err(ApiError::from)?;
    let matcher = ctx.state.matcher.clone();
    let saved = ctx
        .state
        .db(move |conn| create_solution(conn, &matcher, &auth, &data))
        .await;
    match saved {
        Ok(row) => {
            let flash = if row.status == "published" {
                Flash::success("Your solution is published: cities can find it.")
            } else {
                Flash::success("Draft saved. Only your company sees it until you publish it.")
            };
            Ok(redirect(
                &format!("/solutions/{}", row.id),
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
    let (s, _) = ctx
        .state
        .db(move |conn| load_owned(conn, &lookup, &auth))
        .await?;
    render(&FormPage::new(&ctx, Some(&id), form_from_stored(&s)))
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
            edit_solution(conn, &matcher, &auth, &target, |stored| {
                Ok(SolutionInput {
                    status: stored.status,
                    ..input
                })
            })
        })
        .await;
    match saved {
        Ok(_) => Ok(redirect(
            &format!("/solutions/{id}"),
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
            edit_solution(conn, &matcher, &auth, &target, |stored| {
                Ok(SolutionInput {
                    status: Some(wanted),
                    ..stored
                })
            })
        })
        .await;
    let flash = match moved {
        Ok((row, _)) => Flash::success(match row.status.as_str() {
            "published" => "The solution is published: cities can find it.",
            "archived" => "The solution is archived.",
            "draft" => "The solution is a draft again; only your company sees it.",
            _ => "The solution's status is changed.",
        }),
        Err(ApiError::Conflict(message)) => Flash::error(super::capitalise(&message)),
        Err(ApiError::Validation(errors)) => Flash::error(format!(
            "The solution cannot change to {to:?} as it is: {errors}. Edit it first."
        )),
        Err(e) => return Err(e.into()),
    };
    Ok(redirect(&format!("/solutions/{id}"), Some(flash), &ctx))
}
