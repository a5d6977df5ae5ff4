//! Behaviour tests of the whole matcher (index + ranking + explanations).

use crate::*;

fn sol(id: &str, lang: &str, title: &str, description: &str, sectors: &[&str]) -> SolutionDoc {
    SolutionDoc {
        id: id.into(),
        title: title.into(),
        summary: String::new(),
        description: description.into(),
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        trl: Some(8),
        countries: vec![],
        global: true,
        language: Some(lang.into()),
        published: true,
        updated_at: 1_700_000_000,
    }
}

fn chal(id: &str, lang: &str, title: &str, description: &str, sectors: &[&str]) -> ChallengeDoc {
    ChallengeDoc {
        id: id.into(),
        title: title.into(),
        summary: String::new(),
        description: description.into(),
        sectors: sectors.iter().map(|s| s.to_string()).collect(),
        min_trl: None,
        country: Some("SE".into()),
        language: Some(lang.into()),
        status: "open".into(),
        updated_at: 1_700_000_000,
    }
}

/// A small multilingual index with distractors.
/// An index in memory holding `docs`, committed.
fn index_of(docs: &[SolutionDoc]) -> MatchIndex {
    let idx = MatchIndex::create_in_ram().expect("index");
    idx.upsert_solutions(docs).expect("upsert");
    idx.commit("w1").expect("commit");
    idx
}

fn fixture() -> MatchIndex {
    let docs = [
        sol("en-dh", "en", "District heating networks", "We design and operate district heating networks that deliver heat from waste heat and large heat pumps to city buildings.", &["energy"]),
        sol("da-fv", "da", "Fjernvarme til byen", "Vi leverer fjernvarme og fjernvarmeanlæg til kommuner, med overskudsvarme fra industrien.", &["energy"]),
        sol("en-ev", "en", "EV charging for fleets", "Charging stations and charging infrastructure for electric buses and municipal fleets.", &["transport"]),
        sol("en-water", "en", "Leak detection for water utilities", "Acoustic sensors find leaks in drinking water pipes.", &["water"]),
        sol("de-pv", "de", "Photovoltaik für Schulen", "Wir planen Photovoltaikanlagen auf kommunalen Dächern.", &["energy", "buildings"]),
        sol("en-roof", "en", "Green roofs", "Green roofs and living roofs for stormwater management in dense cities.", &["buildings", "adaptation"]),
    ];
    index_of(&docs)
}

fn ids(hits: &[Hit]) -> Vec<&str> {
    hits.iter().map(|h| h.id.as_str()).collect()
}

#[test]
fn swedish_challenge_finds_english_district_heating() {
    let idx = fixture();
    let ch = chal(
        "c1",
        "sv",
        "Fjärrvärme i nya bostadsområden",
        "Kommunen vill ansluta nya bostadsområden till fjärrvärmenätet.",
        &["energy"],
    );
    let hits = idx.match_challenge(&ch, 5, "sv").expect("match");
    let pos = ids(&hits)
        .iter()
        .position(|i| *i == "en-dh")
        .expect("found");
    assert!(pos <= 1, "{:?}", ids(&hits));
    let hit = &hits[pos];
    let dh = hit
        .explanation
        .concepts
        .iter()
        .find(|c| c.id == "2269")
        .expect("district heating concept explained");
    // label in the reader's language
    assert_eq!(dh.label, "fjärrvärme");
}

#[test]
fn chinese_challenge_finds_danish_fjernvarme() {
    let idx = fixture();
    let ch = chal(
        "c2",
        "zh",
        "区域供热改造",
        "城市计划扩大区域供热，利用工业余热。",
        &["energy"],
    );
    let hits = idx.match_challenge(&ch, 5, "zh").expect("match");
    assert!(ids(&hits).contains(&"da-fv"), "{:?}", ids(&hits));
    let hit = hits.iter().find(|h| h.id == "da-fv").expect("hit");
    assert!(hit
        .explanation
        .concepts
        .iter()
        .any(|c| c.label == "区域供热"));
    // the unrelated water solution is not suggested above it
    let water = ids(&hits).iter().position(|i| *i == "en-water");
    let fv = ids(&hits).iter().position(|i| *i == "da-fv");
    assert!(water.is_none() || water > fv);
}

#[test]
fn hard_filters_trl_country_published() {
    let idx = MatchIndex::create_in_ram().expect("index");
    let mut low = sol(
        "low-trl",
        "en",
        "EV charging",
        "Charging stations for electric buses.",
        &["transport"],
    );
    low.trl = Some(4);
    let mut elsewhere = sol(
        "elsewhere",
        "en",
        "EV charging",
        "Charging stations for electric buses.",
        &["transport"],
    );
    elsewhere.global = false;
    elsewhere.countries = vec!["DE".into()];
    let mut draft = sol(
        "draft",
        "en",
        "EV charging",
        "Charging stations for electric buses.",
        &["transport"],
    );
    draft.published = false;
    let mut here = sol(
        "here",
        "en",
        "EV charging",
        "Charging stations for electric buses.",
        &["transport"],
    );
    here.global = false;
    here.countries = vec!["se".into()];
    let unknown_trl = SolutionDoc {
        id: "unknown-trl".into(),
        trl: None,
        ..here.clone()
    };
    for d in [&low, &elsewhere, &draft, &here, &unknown_trl] {
        idx.upsert_solution(d).expect("upsert");
    }
    idx.commit("w").expect("commit");
    let mut ch = chal(
        "c",
        "en",
        "Charging for electric buses",
        "We need charging stations for our electric buses.",
        &["transport"],
    );
    ch.min_trl = Some(6);
    let hits = idx.match_challenge(&ch, 10, "en").expect("match");
    assert_eq!(ids(&hits), ["here"]);
    assert!(hits[0].explanation.country.explicit);
    assert_eq!(hits[0].explanation.trl.fit, 1.0);
    // without a minimum and a country, all published ones come back
    ch.min_trl = None;
    ch.country = None;
    let hits = idx.match_challenge(&ch, 10, "en").expect("match");
    let mut got = ids(&hits);
    got.sort_unstable();
    assert_eq!(got, ["elsewhere", "here", "low-trl", "unknown-trl"]);
}

#[test]
fn solution_side_filters_open_challenges() {
    let idx = MatchIndex::create_in_ram().expect("index");
    let open = chal(
        "open",
        "en",
        "Charging for electric buses",
        "Charging stations for buses.",
        &["transport"],
    );
    let closed = ChallengeDoc {
        id: "closed".into(),
        status: "closed".into(),
        ..open.clone()
    };
    let strict = ChallengeDoc {
        id: "strict".into(),
        min_trl: Some(9),
        ..open.clone()
    };
    let abroad = ChallengeDoc {
        id: "abroad".into(),
        country: Some("CN".into()),
        ..open.clone()
    };
    for c in [&open, &closed, &strict, &abroad] {
        idx.upsert_challenge(c).expect("upsert");
    }
    idx.commit("w").expect("commit");
    let mut s = sol(
        "s",
        "en",
        "EV charging for buses",
        "Charging stations for electric buses.",
        &["transport"],
    );
    s.global = false;
    s.countries = vec!["SE".into()];
    let hits = idx.match_solution(&s, 10, "en").expect("match");
    assert_eq!(ids(&hits), ["open"]);
    s.global = true;
    let hits = idx.match_solution(&s, 10, "en").expect("match");
    let mut got = ids(&hits);
    got.sort_unstable();
    assert_eq!(got, ["abroad", "open"]);
}

#[test]
fn update_and_delete() {
    let idx = fixture();
    let ch = chal(
        "c",
        "en",
        "Charging for electric buses",
        "Charging stations for electric buses.",
        &["transport"],
    );
    assert_eq!(
        ids(&idx.match_challenge(&ch, 1, "en").expect("match")),
        ["en-ev"]
    );
    // re-upsert the EV solution as something else: it no longer matches
    idx.upsert_solution(&sol(
        "en-ev",
        "en",
        "Soil sensors",
        "Soil moisture sensors for farms.",
        &["land_use"],
    ))
    .expect("upsert");
    idx.commit("w2").expect("commit");
    assert!(!ids(&idx.match_challenge(&ch, 10, "en").expect("match")).contains(&"en-ev"));
    let (found, total) = idx
        .search_solutions("soil", &SolutionFilter::default(), 0, 10)
        .expect("search");
    assert_eq!((found, total), (vec!["en-ev".to_string()], 1));
    // delete
    idx.delete_solution("en-dh").expect("delete");
    idx.commit("w3").expect("commit");
    let sv = chal(
        "c1",
        "sv",
        "Fjärrvärme",
        "Utbyggnad av fjärrvärmenätet.",
        &["energy"],
    );
    assert!(!ids(&idx.match_challenge(&sv, 10, "en").expect("match")).contains(&"en-dh"));
    assert_eq!(idx.num_docs(), 5);
    idx.clear().expect("clear");
    idx.commit("w4").expect("commit");
    assert_eq!(idx.num_docs(), 0);
}

#[test]
fn scores_are_bounded_stable_and_add_up() {
    let idx = fixture();
    let ch = chal(
        "c1",
        "en",
        "District heating with heat pumps",
        "Expand district heating using large heat pumps and waste heat.",
        &["energy"],
    );
    let a = idx.match_challenge(&ch, 10, "en").expect("match");
    let b = idx.match_challenge(&ch, 10, "en").expect("match");
    assert_eq!(a, b);
    assert_eq!(a[0].id, "en-dh");
    for h in &a {
        assert!((0.0..=100.0).contains(&h.score));
        let p = h.explanation.parts;
        let sum = p.text + p.concepts + p.sectors + p.trl + p.country + p.freshness;
        assert!((sum - h.score).abs() < 0.051, "{p:?}");
        assert!(!h.explanation.summary.is_empty());
    }
    assert!(a.windows(2).all(|w| w[0].score >= w[1].score));
    // a close fit scores well, and the ranking keeps its meaning when unrelated docs come
    let top = a[0].score;
    assert!(top > 40.0, "{top}");
    idx.upsert_solution(&sol(
        "noise",
        "en",
        "Bike lanes",
        "Painted cycle paths.",
        &["transport"],
    ))
    .expect("upsert");
    idx.commit("w").expect("commit");
    let c = idx.match_challenge(&ch, 10, "en").expect("match");
    assert!((c[0].score - top).abs() < 3.0, "{} vs {top}", c[0].score);
    // explanation mentions matched words per field
    assert!(a[0].explanation.terms.iter().any(|f| f.field == "title"));
    let json = serde_json::to_value(&a[0]).expect("serialize");
    assert!(json["explanation"]["parts"]["total"].is_number());
}

#[test]
fn listing_search_with_filters_and_paging() {
    let idx = fixture();
    let (all, total) = idx
        .search_solutions("", &SolutionFilter::default(), 0, 100)
        .expect("search");
    assert_eq!((all.len(), total), (6, 6));
    let (page, total) = idx
        .search_solutions("", &SolutionFilter::default(), 4, 10)
        .expect("search");
    assert_eq!((page.len(), total), (2, 6));
    let f = SolutionFilter {
        sector: Some("energy".into()),
        ..Default::default()
    };
    let (hits, total) = idx
        .search_solutions("district heating", &f, 0, 10)
        .expect("search");
    assert_eq!(total, 2, "{hits:?}"); // en-dh and, through the concept, da-fv
    assert_eq!(hits[0], "en-dh");
    let (hits, _) = idx
        .search_solutions("fjärrvärme", &SolutionFilter::default(), 0, 10)
        .expect("search");
    assert!(hits.contains(&"da-fv".to_string()) && hits.contains(&"en-dh".to_string()));
    idx.upsert_challenge(&chal("c", "en", "Cooling", "District cooling", &["energy"]))
        .expect("upsert");
    idx.commit("w").expect("commit");
    let f = ChallengeFilter {
        status: Some("open".into()),
        country: Some("se".into()),
        ..Default::default()
    };
    assert_eq!(idx.search_challenges("", &f, 0, 10).expect("search").1, 1);
    let f = ChallengeFilter {
        status: Some("closed".into()),
        ..Default::default()
    };
    assert_eq!(idx.search_challenges("", &f, 0, 10).expect("search").1, 0);
}

#[test]
fn watermark_round_trip_and_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("index");
    {
        let (idx, state) = MatchIndex::open_or_create(&path).expect("create");
        assert_eq!(state, OpenState::Fresh);
        idx.upsert_solution(&sol("a", "en", "Heat pumps", "Heat pumps.", &["energy"]))
            .expect("upsert");
        idx.commit("db:17").expect("commit");
        assert_eq!(idx.watermark().as_deref(), Some("db:17"));
    }
    {
        let (idx, state) = MatchIndex::open_or_create(&path).expect("reopen");
        assert_eq!(
            state,
            OpenState::Existing {
                watermark: Some("db:17".into())
            }
        );
        assert_eq!(idx.watermark().as_deref(), Some("db:17"));
        assert_eq!(idx.num_docs(), 1);
        // a second writer on the same directory is refused, not wiped
        assert!(matches!(
            MatchIndex::open_or_create(&path),
            Err(Error::Locked(_))
        ));
    }
    // another schema version in the payload: rebuilt
    let meta = path.join("meta.json");
    let text = std::fs::read_to_string(&meta).expect("meta");
    let other = text.replace(
        &format!("\\\"schema_version\\\":{SCHEMA_VERSION}"),
        "\\\"schema_version\\\":999",
    );
    assert_ne!(text, other, "payload found in meta.json");
    std::fs::write(&meta, other).expect("write");
    {
        let (idx, state) = MatchIndex::open_or_create(&path).expect("rebuild");
        assert!(matches!(state, OpenState::Rebuilt { .. }), "{state:?}");
        assert_eq!(idx.num_docs(), 0);
        assert_eq!(idx.watermark(), None);
        idx.upsert_solution(&sol("a", "en", "Heat pumps", "Heat pumps.", &["energy"]))
            .expect("upsert");
        idx.commit("db:18").expect("commit");
    }
    // corrupt meta.json: rebuilt
    std::fs::write(&meta, "{ not json").expect("write");
    let (_, state) = MatchIndex::open_or_create(&path).expect("rebuild");
    assert!(matches!(state, OpenState::Rebuilt { .. }), "{state:?}");
}

#[test]
fn explanation_labels_follow_reader_language() {
    let idx = fixture();
    let ch = chal(
        "c",
        "en",
        "District heating",
        "Extend district heating.",
        &["energy"],
    );
    for (reader, label) in [
        ("de", "Fernwärme"),
        ("fi", "kaukolämmitys"),
        ("en", "district heating"),
        ("xx", "district heating"),
    ] {
        let hits = idx.match_challenge(&ch, 1, reader).expect("match");
        let c = hits[0]
            .explanation
            .concepts
            .iter()
            .find(|c| c.id == "2269")
            .expect("concept");
        assert_eq!(c.label, label);
    }
}

#[test]
fn climate_plan_titles_reach_english_through_the_dictionary() {
    let docs = [
        sol("en-led", "en", "Smart LED street lighting", "We retrofit municipal street lighting with dimmable LED luminaires and remote management.", &["energy"]),
        sol("en-park", "en", "Parking sensors", "Sensors show drivers free parking spaces on city streets.", &["transport"]),
        sol("en-grow", "en", "LED grow lights", "LED lighting for vertical farms and greenhouses.", &["food"]),
        sol("en-bus", "en", "Electric city buses", "Battery electric buses and depot charging for public transport operators.", &["transport"]),
        sol("en-ins", "en", "Facade insulation", "Prefabricated facade insulation panels for the energy renovation of apartment blocks.", &["buildings"]),
    ];
    let idx = index_of(&docs);
    let cases = [
        ("de", "Umstellung der Straßenbeleuchtung auf LED", "en-led"),
        (
            "fi",
            "Katuvalaistuksen vaihtaminen LED-valaisimiksi",
            "en-led",
        ),
        (
            "fi",
            "Joukkoliikenteen sähköistäminen: sähköbussit",
            "en-bus",
        ),
        ("sv", "Tilläggsisolering av fasad", "en-ins"),
        (
            "da",
            "Energirenovering og efterisolering af boliger",
            "en-ins",
        ),
    ];
    for (lang, title, want) in cases {
        let hits = idx
            .match_challenge(&chal("c", lang, title, "", &[]), 5, "en")
            .expect("match");
        assert_eq!(
            hits.first().map(|h| h.id.as_str()),
            Some(want),
            "{title}: {:?}",
            ids(&hits)
        );
    }
}

/// On a large index the first pass reads only the strongest postings of each word (about
/// `first_pass_postings` in all): a document that says the query's words often, in a short
/// text, is found among many that mention them once in long texts, and its score is the one
/// an exhaustive pass gives.
#[test]
fn a_budgeted_first_pass_reads_the_strongest_postings_first() {
    let filler = "The company also offers consulting, maintenance, training and reporting \
                  services for municipal customers across the region, with a long history.";
    let mut docs = Vec::new();
    for i in 0..400 {
        docs.push(sol(
            &format!("weak-{i:03}"),
            "en",
            "Services for cities",
            &format!("{filler} We sometimes mention heat pumps. {filler} {filler}"),
            &["energy"],
        ));
    }
    docs.push(sol(
        "strong",
        "en",
        "Heat pumps",
        "Large heat pumps: heat pumps for district heat pumps.",
        &["energy"],
    ));
    let idx = index_of(&docs);
    let ch = chal(
        "c1",
        "en",
        "Heat pumps",
        "We need large heat pumps.",
        &["energy"],
    );
    let exhaustive = idx.match_challenge(&ch, 3, "en").expect("match");
    assert_eq!(ids(&exhaustive)[0], "strong");

    let mut budgeted = idx.weights();
    // 'heat' and 'pumps' alone hold over 800 postings
    budgeted.first_pass_postings = 50;
    budgeted.candidates = 5;
    idx.set_weights(budgeted);
    let hits = idx.match_challenge(&ch, 3, "en").expect("match");
    assert_eq!(ids(&hits)[0], "strong");
    assert_eq!(hits[0].score, exhaustive[0].score);
}

/// After its budget, the first pass reads on for the documents it found only
/// (`first_pass_refine`): a document found by its strong words ("heat pumps", said often)
/// also gets the points of its weak one ("ammonia", said once), and so ranks above the
/// documents that say "heat pumps" more often but never "ammonia".
#[test]
fn the_first_pass_refines_the_documents_it_found_with_their_weaker_postings() {
    let filler = "The company also offers consulting, maintenance and training for cities.";
    let mut docs = Vec::new();
    for i in 0..40 {
        docs.push(sol(
            &format!("pumps-{i:02}"),
            "en",
            "Heat pumps",
            "Heat pumps, heat pumps and heat pumps.",
            &["energy"],
        ));
        docs.push(sol(
            &format!("services-{i:02}"),
            "en",
            "Services",
            &format!("{filler} {filler} Ammonia. {filler}"),
            &["energy"],
        ));
    }
    docs.push(sol(
        "both",
        "en",
        "Heat pumps",
        "Heat pumps and heat pumps, ammonia.",
        &["energy"],
    ));
    let idx = index_of(&docs);
    let ch = chal(
        "c1",
        "en",
        "Ammonia heat pumps",
        "Heat pumps, ammonia.",
        &["energy"],
    );
    let exhaustive = idx.match_challenge(&ch, 1, "en").expect("match");
    assert_eq!(ids(&exhaustive), ["both"]);

    let mut budgeted = idx.weights();
    // the 82 strongest postings: "heat" and "pumps" of the 40 short texts and of "both",
    // not its "ammonia"
    budgeted.first_pass_postings = 82;
    budgeted.candidates = 4;
    budgeted.first_pass_refine = 1.0;
    idx.set_weights(budgeted);
    let unrefined = idx.match_challenge(&ch, 1, "en").expect("match");
    assert_ne!(ids(&unrefined), ["both"], "the case needs the refinement");

    budgeted.first_pass_refine = 0.0;
    idx.set_weights(budgeted);
    let refined = idx.match_challenge(&ch, 1, "en").expect("match");
    assert_eq!(ids(&refined), ["both"]);
    assert_eq!(refined[0].score, exhaustive[0].score);
}

#[test]
fn the_country_filter_holds_beyond_63_countries_in_a_segment() {
    // The filter keeps one bit per country code for the first 63 codes of a segment and
    // reads the column for the rest: a challenge in a country past that sees exactly the
    // solutions that serve it (and the global ones), both ways, and the country fit says
    // which serve it by name.
    let codes: Vec<String> = (b'A'..=b'Z')
        .flat_map(|a| (b'A'..=b'Z').map(move |b| String::from_utf8(vec![a, b]).expect("ascii")))
        .take(160)
        .collect();
    let mut docs = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let mut s = sol(
            &format!("s-{code}"),
            "en",
            "District heating",
            "District heating networks for cities.",
            &["energy"],
        );
        s.global = false;
        // each solution serves its own country and the next one
        s.countries = vec![code.clone(), codes[(i + 1) % codes.len()].clone()];
        docs.push(s);
    }
    let mut everywhere = sol(
        "s-global",
        "en",
        "District heating",
        "District heating networks for cities.",
        &["energy"],
    );
    everywhere.global = true;
    docs.push(everywhere);
    let idx = index_of(&docs);
    // (a bulk load writes one segment: most of the codes are past its first 63)
    assert_eq!(idx.num_segments(), 1);
    for code in ["AB", codes[120].as_str(), codes[159].as_str()] {
        let mut ch = chal(
            "c",
            "en",
            "District heating",
            "District heating for the city.",
            &["energy"],
        );
        ch.country = Some(code.into());
        let hits = idx.match_challenge(&ch, 100, "en").expect("match");
        for h in &hits {
            let c = &h.explanation.country;
            assert_eq!(c.explicit, h.id != "s-global", "{} in {code}: {c:?}", h.id);
        }
        let mut found = ids(&hits)
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        found.sort();
        let i = codes.iter().position(|c| c == code).expect("code");
        let before = &codes[(i + codes.len() - 1) % codes.len()];
        let mut want = vec![
            format!("s-{before}"),
            format!("s-{code}"),
            "s-global".to_string(),
        ];
        want.sort();
        assert_eq!(found, want, "challenge in {code}");
    }
}

#[test]
fn listing_search_puts_a_concept_match_in_another_language_above_one_shared_word() {
    // "district heating": a Danish "fjernvarme" text is about it; an English text that
    // only says "district" (air quality sensors per district) is not.
    let idx = fixture();
    idx.upsert_solution(&sol(
        "en-air",
        "en",
        "District-level air quality",
        "Low-cost air quality sensors for every district of the city.",
        &["energy"],
    ))
    .expect("upsert");
    idx.commit("w2").expect("commit");
    let (hits, _) = idx
        .search_solutions("district heating", &SolutionFilter::default(), 0, 10)
        .expect("search");
    let at = |id: &str| hits.iter().position(|h| h == id);
    assert_eq!(at("en-dh"), Some(0), "{hits:?}");
    assert!(
        at("da-fv").is_some() && at("da-fv") < at("en-air"),
        "the Danish district heating text ranks above the air sensors: {hits:?}"
    );
}
