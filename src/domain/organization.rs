//! Organisations and the accounts that belong to them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{json_list, Check, Language, OrgKind, SizeBand};
use crate::db::models::Organization;
use crate::error::FieldErrors;

#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationInput {
    /// city, company or cluster (fixed after registration).
    pub kind: Option<String>,
    pub name: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    pub region: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    /// Cities only.
    pub population: Option<i64>,
    /// Cities only: networks such as C40.
    pub networks: Option<Vec<String>>,
    /// Companies only: micro, small, medium, large.
    pub size_band: Option<String>,
}

#[derive(Debug, Clone)]
pub struct OrganizationData {
    pub kind: OrgKind,
    pub name: String,
    pub country: String,
    pub region: Option<String>,
    pub website: Option<String>,
    pub description: String,
    pub population: Option<i64>,
    pub networks: Vec<String>,
    pub size_band: Option<SizeBand>,
}

impl OrganizationData {
    /// Checks an organisation; field names are prefixed with `prefix` (e.g. `organization.`).
    pub fn check(c: &mut Check, prefix: &str, input: OrganizationInput) -> OrganizationData {
        let f = |name: &str| format!("{prefix}{name}");
        let kind = match c.code(&f("kind"), input.kind, OrgKind::parse, OrgKind::codes) {
            Some(k) => k,
            None => {
                c.fail(
                    &f("kind"),
                    format!("is required: one of {}", OrgKind::codes()),
                );
                OrgKind::Company
            }
        };
        let name = c.required_text(&f("name"), input.name, 2, 200);
        let country = c.required_country(&f("country"), input.country);
        let region = c.optional_text(&f("region"), input.region, 100);
        let website = c.url(&f("website"), input.website);
        let description = c
            .optional_text(&f("description"), input.description, 5000)
            .unwrap_or_default();
        let population = c.int_range(&f("population"), input.population, 0, 100_000_000);
        let networks = c.tags(&f("networks"), input.networks, 20);
        let size_band = c.code(
            &f("size_band"),
            input.size_band,
            SizeBand::parse,
            SizeBand::codes,
        );
        if kind != OrgKind::City && (population.is_some() || !networks.is_empty()) {
            c.fail(
                &f("population"),
                "population and networks are for cities only",
            );
        }
        if kind != OrgKind::Company && size_band.is_some() {
            c.fail(&f("size_band"), "size_band is for companies only");
        }
        OrganizationData {
            kind,
            name,
            country,
            region,
            website,
            description,
            population,
            networks,
            size_band,
        }
    }

    pub fn parse(input: OrganizationInput) -> Result<OrganizationData, FieldErrors> {
        let mut c = Check::new();
        let data = Self::check(&mut c, "", input);
        c.finish(data)
    }
}

impl OrganizationInput {
    pub fn from_stored(o: &Organization) -> OrganizationInput {
        OrganizationInput {
            kind: Some(o.kind.clone()),
            name: Some(o.name.clone()),
            country: Some(o.country.clone()),
            region: o.region.clone(),
            website: o.website.clone(),
            description: Some(o.description.clone()),
            population: o.population,
            networks: Some(json_list(&o.networks)),
            size_band: o.size_band.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterInput {
    pub email: Option<String>,
    /// 10 to 128 characters.
    pub password: Option<String>,
    /// The person's display name.
    pub name: Option<String>,
    pub organization: Option<OrganizationInput>,
    /// Preferred language of e-mails and labels (en default).
    pub locale: Option<String>,
}

#[derive(Debug)]
pub struct Registration {
    pub email: String,
    pub password: String,
    pub name: String,
    pub organization: OrganizationData,
    pub locale: Language,
}

pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

impl Registration {
    pub fn parse(input: RegisterInput) -> Result<Registration, FieldErrors> {
        let mut c = Check::new();
        let email = c.email("email", input.email);
        let password = check_password(&mut c, "password", input.password);
        let name = c.required_text("name", input.name, 1, 100);
        let organization = match input.organization {
            Some(org) => OrganizationData::check(&mut c, "organization.", org),
            None => {
                c.fail("organization", "is required: {kind, name, country}");
                OrganizationData::check(&mut Check::new(), "", OrganizationInput::default())
            }
        };
        let locale = c.language("locale", input.locale).unwrap_or(Language::En);
        c.finish(Registration {
            email,
            password,
            name,
            organization,
            locale,
        })
    }
}

pub fn check_password(c: &mut Check, field: &str, v: Option<String>) -> String {
    match v {
        None => {
            c.fail(field, "is required");
            String::new()
        }
        Some(p) => {
            let n = p.chars().count();
            if n < PASSWORD_MIN {
                c.fail(field, format!("must be at least {PASSWORD_MIN} characters"));
            } else if n > PASSWORD_MAX {
                c.fail(field, format!("must be at most {PASSWORD_MAX} characters"));
            }
            p
        }
    }
}
