//! The platform admin's page: verifying organisations and queueing dead e-mails again.

use reqwest::StatusCode;

use crate::helpers::*;
use crate::mail::{make_platform_admin, outbox_rows, queue_test_email};
use crate::smtp::SmtpSink;
use crate::visitor::{csrf_of, Visitor};

async fn is_verified(app: &TestApp, org_id: &str) -> bool {
    let (status, body) = app
        .get(&format!("/api/v1/organizations/{org_id}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["verified"].as_bool().expect("verified")
}

#[tokio::test]
async fn only_platform_admins_see_the_admin_page_and_its_forms_change_nothing_for_others() {
    let app = spawn_app().await;
    let cluster = app.register("cluster", "Baltic Heat Cluster", "SE").await;
    let admin = app.register("cluster", "Operators", "DK").await;
    make_platform_admin(&app, &admin).await;

    let mut anonymous = Visitor::new(&app);
    let page = anonymous.get("/admin").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location.as_deref(), Some("/login?next=%2Fadmin"));

    let mut coordinator = Visitor::logged_in(&app, &cluster.token);
    let home = coordinator.get("/").await;
    assert!(!home.body.contains("href=\"/admin\""), "no Admin link");
    let page = coordinator.get("/admin").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.content_type.starts_with("text/html"));
    // The coordinator's own valid form token does not make it an admin.
    let verify = format!("/admin/organizations/{}/verify", cluster.org_id);
    let refused = coordinator
        .post(&verify, &[("csrf", &csrf_of(&home))])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!is_verified(&app, &cluster.org_id).await);

    let mut operator = Visitor::logged_in(&app, &admin.token);
    let page = operator.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("href=\"/admin\""), "the Admin link");
    // Without the form's token nothing changes.
    let refused = operator.post(&verify, &[]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(!is_verified(&app, &cluster.org_id).await);
    // An unknown kind is named.
    let page = operator.get("/admin?kind=planet").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("kind"), "{}", page.body);
    // An unknown organisation is a 404, not a 500.
    let token = csrf_of(&operator.get("/admin").await);
    let missing = operator
        .post("/admin/organizations/nope/verify", &[("csrf", &token)])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_platform_admin_verifies_a_cluster_on_the_admin_page() {
    let app = spawn_app().await;
    let cluster = app.register("cluster", "Baltic Heat Cluster", "SE").await;
    let city = app.register("city", "Malmö", "SE").await;
    let admin = app.register("cluster", "Operators", "DK").await;
    make_platform_admin(&app, &admin).await;
    let row = format!("id=\"org-{}\"", cluster.org_id);

    let mut operator = Visitor::logged_in(&app, &admin.token);
    let page = operator.get("/admin").await;
    assert!(page.body.contains(&row), "the cluster waits");
    assert!(page.body.contains("Malmö"), "the city waits too");
    let clusters = operator.get("/admin?kind=cluster").await;
    assert!(clusters.body.contains(&row));
    assert!(!clusters.body.contains("Malmö"), "only clusters");

    let done = operator
        .post(
            &format!("/admin/organizations/{}/verify", cluster.org_id),
            &[("csrf", &csrf_of(&clusters)), ("kind", "cluster")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(done.location.as_deref(), Some("/admin?kind=cluster"));
    assert!(is_verified(&app, &cluster.org_id).await);
    assert!(!is_verified(&app, &city.org_id).await);
    let after = operator.get("/admin?kind=cluster").await;
    assert!(after
        .body
        .contains("Baltic Heat Cluster is verified: its coordinators can accept members"));
    assert!(!after.body.contains(&row), "no longer waiting");

    // The verified cluster's coordinator no longer sees the warning.
    let mut coordinator = Visitor::logged_in(&app, &cluster.token);
    let members = coordinator.get("/cluster/members").await;
    assert_eq!(members.status, StatusCode::OK);
    assert!(!members.body.contains("not verified yet"));
}

#[tokio::test]
async fn a_platform_admin_sees_dead_emails_and_queues_one_again() {
    let app = spawn_app().await;
    let sink = SmtpSink::start();
    // The SMTP server refuses this address for good: the e-mail ends dead.
    queue_test_email(&app, "bounce@company.example", "bounce").await;
    assert_eq!(app.drain(&sink).await.dead, 1);
    queue_test_email(&app, "fine@company.example", "fine").await;
    assert_eq!(app.drain(&sink).await.sent, 1);
    let admin = app.register("cluster", "Operators", "DK").await;
    make_platform_admin(&app, &admin).await;
    let dead = outbox_rows(&app)
        .await
        .into_iter()
        .find(|r| r.to_address == "bounce@company.example")
        .expect("the dead row");
    assert_eq!(dead.status, "dead");

    let mut operator = Visitor::logged_in(&app, &admin.token);
    let page = operator.get("/admin").await;
    assert_eq!(page.status, StatusCode::OK);
    let row = format!("id=\"email-{}\"", dead.id);
    assert!(page.body.contains(&row), "the dead e-mail is listed");
    assert!(page.body.contains("to bounce@company.example"));
    assert!(
        page.body.contains(dead.last_error.as_deref().expect("why")),
        "the reason it failed"
    );
    assert!(
        !page.body.contains("to fine@company.example"),
        "sent ones are not"
    );

    let retry = format!("/admin/outbox/{}/retry", dead.id);
    let token = csrf_of(&page);
    let done = operator.post(&retry, &[("csrf", &token)]).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let after = operator.get("/admin").await;
    assert!(after
        .body
        .contains("The e-mail to bounce@company.example is queued again"));
    assert!(!after.body.contains(&row));
    let status = outbox_rows(&app)
        .await
        .into_iter()
        .find(|r| r.id == dead.id)
        .expect("still there")
        .status;
    assert_eq!(status, "pending");

    // Twice is told, not an error page.
    let again = operator.post(&retry, &[("csrf", &token)]).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert!(operator
        .get("/admin")
        .await
        .body
        .contains("Only dead e-mails can be retried; this one is pending"));
    let missing = operator
        .post("/admin/outbox/nope/retry", &[("csrf", &token)])
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}
