//! Demo data for `serve --demo`: cities, companies, clusters, challenges and solutions
//! written by the team (demo.json). Loading is idempotent: a second run changes nothing.

use std::fmt;

use anyhow::Context;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::models::{ClusterMembership, Organization, User};
use crate::db::schema::{cluster_memberships, organizations, users};
use crate::db::{store, DbConn, DbPool};
use crate::domain::challenge::{ChallengeData, ChallengeInput};
use crate::domain::solution::{SolutionData, SolutionInput};
use crate::domain::{list_to_json, new_id, now};

const DEMO_JSON: &str = include_str!("demo.json");
/// Every demo account logs in with this password.
pub const DEMO_PASSWORD: &str = "cleanmatch-demo";
pub const DEMO_ADMIN_EMAIL: &str = "admin@cleanmatch.example";

#[derive(Deserialize)]
struct Demo {
    clusters: Vec<DemoCluster>,
    cities: Vec<DemoCity>,
    companies: Vec<DemoCompany>,
    challenges: Vec<DemoChallenge>,
}

#[derive(Deserialize)]
struct Contact {
    email: String,
    name: String,
}

#[derive(Deserialize)]
struct DemoCluster {
    key: String,
    name: String,
    country: String,
    region: Option<String>,
    website: Option<String>,
    description: String,
    coordinator: Contact,
}

#[derive(Deserialize)]
struct DemoCity {
    key: String,
    name: String,
    country: String,
    region: Option<String>,
    website: Option<String>,
    description: String,
    population: Option<i64>,
    #[serde(default)]
    networks: Vec<String>,
    contact: Contact,
}

#[derive(Deserialize)]
struct DemoCompany {
    name: String,
    country: String,
    region: Option<String>,
    website: Option<String>,
    description: String,
    size_band: Option<String>,
    #[serde(default)]
    clusters: Vec<String>,
    contact: Contact,
    solutions: Vec<SolutionInput>,
}

#[derive(Deserialize)]
struct DemoChallenge {
    city: String,
    #[serde(flatten)]
    input: ChallengeInput,
}

/// What `serve --demo` prints.
pub struct DemoSummary {
    pub created: bool,
    pub logins: Vec<(String, String)>,
    pub counts: (usize, usize, usize),
}

impl fmt::Display for DemoSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (orgs, challenges, solutions) = self.counts;
        if self.created {
            writeln!(f, "demo data loaded: {orgs} organisations, {challenges} challenges, {solutions} solutions")?;
        } else {
            writeln!(f, "demo data already present")?;
        }
        writeln!(f, "demo logins (password: {DEMO_PASSWORD}):")?;
        for (role, email) in &self.logins {
            writeln!(f, "  {role:<28} {email}")?;
        }
        Ok(())
    }
}

fn org(
    kind: &str,
    name: &str,
    country: &str,
    region: Option<String>,
    website: Option<String>,
    description: &str,
) -> Organization {
    let at = now();
    Organization {
        id: new_id(),
        kind: kind.into(),
        name: name.into(),
        country: country.into(),
        region,
        website,
        description: description.into(),
        verified: true,
        population: None,
        networks: "[]".into(),
        size_band: None,
        created_at: at,
        updated_at: at,
    }
}

fn user(org_id: &str, contact: &Contact, hash: &str, admin: bool) -> User {
    let at = now();
    User {
        id: new_id(),
        organization_id: org_id.into(),
        email: contact.email.to_lowercase(),
        password_hash: hash.into(),
        display_name: contact.name.clone(),
        org_role: "admin".into(),
        is_platform_admin: admin,
        locale: "en".into(),
        notification_mode: "instant".into(),
        email_verified: true,
        disabled: false,
        created_at: at,
        updated_at: at,
    }
}

pub fn load(pool: &DbPool) -> anyhow::Result<DemoSummary> {
    let demo: Demo = serde_json::from_str(DEMO_JSON).context("reading the built-in demo data")?;
    let mut logins = vec![("platform admin".to_owned(), DEMO_ADMIN_EMAIL.to_owned())];
    if let Some(c) = demo.cities.first() {
        logins.push((format!("city ({})", c.name), c.contact.email.clone()));
    }
    if let Some(c) = demo.companies.first() {
        logins.push((format!("company ({})", c.name), c.contact.email.clone()));
    }
    for c in &demo.clusters {
        logins.push((
            format!("coordinator ({})", c.name),
            c.coordinator.email.clone(),
        ));
    }
    let mut conn = pool.get()?;
    let present = users::table
        .filter(users::email.eq(DEMO_ADMIN_EMAIL))
        .count()
        .get_result::<i64>(&mut conn)?;
    if present > 0 {
        return Ok(DemoSummary {
            created: false,
            logins,
            counts: (0, 0, 0),
        });
    }
    let hash = crate::auth::password::hash_password(DEMO_PASSWORD)?;
    let counts = conn.transaction(|conn| insert(conn, &demo, &hash))?;
    Ok(DemoSummary {
        created: true,
        logins,
        counts,
    })
}

fn insert(conn: &mut DbConn, demo: &Demo, hash: &str) -> anyhow::Result<(usize, usize, usize)> {
    let mut orgs = 0;
    let platform = org(
        "cluster",
        crate::cli::PLATFORM_ORG,
        "DK",
        None,
        None,
        "The operators of this cleanmatch installation.",
    );
    diesel::insert_into(organizations::table)
        .values(&platform)
        .execute(conn)?;
    let admin = Contact {
        email: DEMO_ADMIN_EMAIL.into(),
        name: "Demo platform admin".into(),
    };
    diesel::insert_into(users::table)
        .values(user(&platform.id, &admin, hash, true))
        .execute(conn)?;

    let mut cluster_ids = std::collections::HashMap::new();
    for c in &demo.clusters {
        let row = org(
            "cluster",
            &c.name,
            &c.country,
            c.region.clone(),
            c.website.clone(),
            &c.description,
        );
        diesel::insert_into(organizations::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(users::table)
            .values(user(&row.id, &c.coordinator, hash, false))
            .execute(conn)?;
        cluster_ids.insert(c.key.clone(), row.id);
        orgs += 1;
    }
    let mut city_ids = std::collections::HashMap::new();
    for c in &demo.cities {
        let mut row = org(
            "city",
            &c.name,
            &c.country,
            c.region.clone(),
            c.website.clone(),
            &c.description,
        );
        row.population = c.population;
        row.networks = list_to_json(&c.networks);
        diesel::insert_into(organizations::table)
            .values(&row)
            .execute(conn)?;
        diesel::insert_into(users::table)
            .values(user(&row.id, &c.contact, hash, false))
            .execute(conn)?;
        city_ids.insert(c.key.clone(), row.id);
        orgs += 1;
    }
    let mut solutions = 0;
    for c in &demo.companies {
        let mut row = org(
            "company",
            &c.name,
            &c.country,
            c.region.clone(),
            c.website.clone(),
            &c.description,
        );
        row.size_band = c.size_band.clone();
        diesel::insert_into(organizations::table)
            .values(&row)
            .execute(conn)?;
        let contact = user(&row.id, &c.contact, hash, false);
        diesel::insert_into(users::table)
            .values(&contact)
            .execute(conn)?;
        orgs += 1;
        for key in &c.clusters {
            let cluster_id = cluster_ids
                .get(key)
                .with_context(|| format!("demo company {} names unknown cluster {key}", c.name))?;
            diesel::insert_into(cluster_memberships::table)
                .values(ClusterMembership {
                    id: new_id(),
                    cluster_id: cluster_id.clone(),
                    company_id: row.id.clone(),
                    status: "accepted".into(),
                    requested_at: now(),
                    decided_at: Some(now()),
                    decided_by: None,
                })
                .execute(conn)?;
        }
        for s in &c.solutions {
            let data = SolutionData::parse(s.clone())
                .map_err(|e| anyhow::anyhow!("demo solution {:?}: {e}", s.title))?;
            store::insert_solution(conn, &data, &row.id, Some(&contact.id))?;
            solutions += 1;
        }
    }
    for ch in &demo.challenges {
        let city_id = city_ids
            .get(&ch.city)
            .with_context(|| format!("demo challenge names unknown city {}", ch.city))?;
        let data = ChallengeData::parse(ch.input.clone())
            .map_err(|e| anyhow::anyhow!("demo challenge {:?}: {e}", ch.input.title))?;
        store::insert_challenge(conn, &data, city_id, None)?;
    }
    Ok((orgs, demo.challenges.len(), solutions))
}
