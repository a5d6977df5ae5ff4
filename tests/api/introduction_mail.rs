//! `mail::notify::queue_introduction`, the seam the match lifecycle calls: both sides of
//! a match get the right e-mail with the right links, once.

use chrono::Duration;
use cleanmatch::db::models::Match;
use cleanmatch::db::schema::matches;
use cleanmatch::domain::{new_id, now};
use cleanmatch::mail::notify::queue_introduction;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::*;
use crate::smtp::SmtpSink;

#[tokio::test]
async fn an_introduction_emails_both_sides_once_with_the_links_to_act() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    let city = app.register("city", "Qingdao", "CN").await;
    let company = app.register("company", "Fjord Heat AS", "NO").await;
    let challenge = app
        .create_challenge(
            &city,
            json!({"status": "open", "response_deadline": "2099-06-30"}),
        )
        .await;
    let solution = app
        .create_solution(&company, json!({"countries": ["CN", "NO"]}))
        .await;
    let match_id = new_id();
    let row = Match {
        id: match_id.clone(),
        challenge_id: challenge.clone(),
        solution_id: solution.clone(),
        score: 91.6,
        rank: 1,
        explanation: json!({"summary": "Seawater heat pumps replace the coal peak boilers",
                            "concepts": ["heat pump", "district heating"]})
        .to_string(),
        status: "introduced".into(),
        created_at: now() - Duration::hours(1),
        updated_at: now(),
    };
    let links = app.state().links.clone();
    let queued = app
        .with_db(move |conn| {
            conn.transaction(|conn| {
                // The matcher may have stored this pair already; the test sets its own row.
                diesel::delete(
                    matches::table
                        .filter(matches::challenge_id.eq(&row.challenge_id))
                        .filter(matches::solution_id.eq(&row.solution_id)),
                )
                .execute(conn)?;
                diesel::insert_into(matches::table)
                    .values(&row)
                    .execute(conn)?;
                let first = queue_introduction(conn, &links, &row.id)?;
                // The lifecycle may run twice (a retried request): nothing more is queued.
                let again = queue_introduction(conn, &links, &row.id)?;
                diesel::QueryResult::Ok((first, again))
            })
            .expect("introduce")
        })
        .await;
    assert_eq!(queued, (2, 0));
    app.drain(&sink).await;

    let to_city: Vec<_> = sink
        .received_by(&city.email)
        .into_iter()
        .filter(|m| m.subject.starts_with("Introduction"))
        .collect();
    assert_eq!(to_city.len(), 1);
    let mail = &to_city[0];
    assert_eq!(
        mail.subject,
        "Introduction: Fjord Heat AS for \"Decarbonise the district heating network\""
    );
    assert!(
        mail.text
            .contains("Seawater heat pumps replace the coal peak boilers"),
        "{}",
        mail.text
    );
    assert!(
        mail.text
            .contains("Both speak of heat pump, district heating"),
        "{}",
        mail.text
    );
    assert!(mail.text.contains("Same sector: Energy"), "{}", mail.text);
    assert!(mail.text.contains("The company serves CN"), "{}", mail.text);
    assert!(mail.text.contains("score 92 of 100"), "{}", mail.text);
    assert_eq!(
        mail.link("http://127.0.0.1/solutions/"),
        format!("http://127.0.0.1/solutions/{solution}")
    );

    let to_company: Vec<_> = sink
        .received_by(&company.email)
        .into_iter()
        .filter(|m| m.subject.starts_with("Introduction"))
        .collect();
    assert_eq!(to_company.len(), 1);
    let mail = &to_company[0];
    assert_eq!(
        mail.subject,
        "Introduction: Qingdao is looking for \"Decarbonise the district heating network\""
    );
    assert!(
        mail.text.contains("Responses are due by 2099-06-30"),
        "{}",
        mail.text
    );
    assert!(
        mail.text.contains(&format!(
            "Respond to it: http://127.0.0.1/challenges/{challenge}#respond"
        )),
        "{}",
        mail.text
    );
    assert!(mail.html.contains(&format!(
        "href=\"http://127.0.0.1/challenges/{challenge}#respond\""
    )));
    assert_ne!(to_city[0].message_id, mail.message_id);
}
