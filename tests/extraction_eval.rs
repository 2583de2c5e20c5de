//! Extraction quality, measured against labelled posts (see docs/extraction.md for the figures
//! and tests/fixtures/extraction/PROVENANCE.md for the labels). Run with `--nocapture` to print
//! the full report; the assertions are floors that the bundled rules must keep.

use std::path::Path;

use statustrail::extract::eval::{evaluate, read_labels, EvalReport, Labelled};
use statustrail::extract::Extractor;
use statustrail::model::Phase;

fn labels(name: &str) -> Vec<Labelled> {
    read_labels(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/extraction")
            .join(name),
    )
    .expect("label file")
}

/// The rules on disk, so that editing patterns/ and re-running these tests needs no rebuild.
fn rules_on_disk() -> Extractor {
    Extractor::from_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("patterns"))
        .expect("rules in patterns/")
}

/// Prints the report with its false "resolved" posts and misses, except those of the well-labelled
/// providers' held-out test half (see `in_dev_half`), whose texts are never printed.
fn report(title: &str, labels: &[Labelled], lang: Option<&str>) -> EvalReport {
    report_of(&rules_on_disk(), title, labels, lang)
}

/// [`report`] with another extractor (the rules alone, for sets whose misses rule writers read).
fn report_of(x: &Extractor, title: &str, labels: &[Labelled], lang: Option<&str>) -> EvalReport {
    let r = evaluate(x, labels, lang);
    println!("== {title}\n{r}");
    let held_out: std::collections::HashSet<&str> = labels
        .iter()
        .filter(|l| is_well_labelled(l) && !in_dev_half(l))
        .filter_map(|l| l.id.as_deref())
        .collect();
    if !held_out.is_empty() {
        println!(
            "({} updates of the held-out test half: their misses are not printed)",
            held_out.len()
        );
    }
    let shown = |m: &&statustrail::extract::eval::Miss| !held_out.contains(m.id.as_str());
    for m in r.false_resolved.iter().filter(shown).take(400) {
        println!(
            "FALSE RESOLVED {} (labelled {:?}): {}",
            m.id,
            m.expected,
            m.text.replace(char::is_whitespace, " ")
        );
    }
    for m in r.misses.iter().filter(shown).take(2000) {
        println!(
            "MISS {} expected {:?} got {:?}: {}",
            m.id,
            m.expected,
            m.got,
            m.text.replace(char::is_whitespace, " ")
        );
    }
    r
}

/// A held-out set: scored, and printed in aggregate only (never its texts or its misses).
fn held_out(title: &str, labels: &[Labelled], lang: Option<&str>) -> EvalReport {
    let r = evaluate(&rules_on_disk(), labels, lang);
    println!("== {title} (aggregate only)\n{r}");
    r
}

/// The floors every set keeps: state accuracy at least `accuracy`, false "resolved" under
/// `false_resolved`.
fn assert_floors(r: &EvalReport, accuracy: f64, false_resolved: f64) {
    assert!(
        r.state_accuracy() >= accuracy,
        "accuracy {}",
        r.state_accuracy()
    );
    assert!(
        r.false_resolved_rate() < false_resolved,
        "false resolved {}",
        r.false_resolved_rate()
    );
}

#[test]
fn statuspage_updates_resolved_is_found_and_never_invented() {
    // The targets, on the Atlassian Statuspage updates (GitHub, DigitalOcean, Oracle
    // Cloud): resolved recall at least 97 %, false "resolved" under 0.5 %.
    let (atlassian, other): (Vec<Labelled>, Vec<Labelled>) = labels("statuspage_labels.jsonl")
        .into_iter()
        .partition(|l| l.group.as_deref() != Some("datocms"));
    let r = report("Atlassian Statuspage updates", &atlassian, Some("en"));
    assert!(
        r.resolved.recall().unwrap() >= 0.97,
        "resolved recall {:?}",
        r.resolved.recall()
    );
    assert!(
        r.false_resolved_rate() < 0.005,
        "false resolved {}",
        r.false_resolved_rate()
    );
    // DatoCMS's own status site labels component-level returns "resolved": reported, with a
    // floor at today's figures (docs/extraction.md).
    let r = report("DatoCMS status-site updates", &other, Some("en"));
    assert!(r.resolved.recall().unwrap() >= 0.6);
    assert!(r.false_resolved_rate() < 0.01);
}

fn is_well_labelled(l: &Labelled) -> bool {
    matches!(l.group.as_deref(), Some("digitalocean" | "oci" | "datocms"))
}

fn well_labelled() -> Vec<Labelled> {
    labels("statuspage_labels.jsonl")
        .into_iter()
        .filter(is_well_labelled)
        .collect()
}

/// The dev / test split of the well-labelled providers' incidents, fixed before any miss was read:
/// FNV-1a (32 bit) of the incident id, even → dev half (1,165 updates of 465 incidents), odd →
/// test half (1,162 updates of 462 incidents). Misses of the hand-labelled sample were read only
/// for its dev-half incidents.
fn in_dev_half(l: &Labelled) -> bool {
    let mut h: u32 = 2_166_136_261;
    for b in l.incident.as_deref().unwrap_or_default().bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(16_777_619);
    }
    h.is_multiple_of(2)
}

#[test]
fn well_labelled_providers_phases_are_read_from_the_prose() {
    // Both halves: aggregate only, so that the held-out half's texts are never printed; the dev
    // half's misses are printed by the next test.
    let r = held_out(
        "DigitalOcean, Oracle Cloud, DatoCMS updates",
        &well_labelled(),
        Some("en"),
    );
    // Session 17: the learnt fallback reads a phase in updates whose incident carried the right one
    // before (per update 85.8 → 85.9 % on the held-out half, along the incident 86.6 → 86.2 %).
    // Session 18: the model overrules the rules where it clearly reads another state; on the
    // held-out half that gains (86.2 → 86.7 %), on the dev half, whose readings the rules were
    // fitted to, it costs (90.0 → 87.1 %): 88.1 → 86.9 % for both.
    assert!(
        r.carried_accuracy() >= 0.865,
        "accuracy {}",
        r.carried_accuracy()
    );
}

#[test]
fn well_labelled_providers_dev_half_the_rules_were_tuned_on() {
    // The dev half: its misses are read when English rules are written (90.8 % along the incident
    // after session 7, a training score; most remaining misses are labels that do not fit the prose).
    // 90.5 % after session 11: "Our Engineering team is still actively working on the issue" now
    // reads investigating, as the hand-labelled sample reads it, against DigitalOcean's word, and
    // "before we were able to shift traffic and improve performance" (a past step inside an
    // identified update) reads as load moved onto healthy parts. 90.2 % after session 12: "Some
    // services are now reporting recovery" and "has initiated a rollback" read recovering, as the
    // hand-labelled samples read them, against DigitalOcean's "identified" (two or three updates).
    let (dev, _): (Vec<Labelled>, Vec<Labelled>) =
        well_labelled().into_iter().partition(in_dev_half);
    assert_eq!(dev.len(), 1165);
    // The rules alone: these are the misses a rule writer reads (session 18's overruling model
    // takes the dev half to 87.1 %, see the test above).
    let r = report_of(
        &rules_on_disk().without_learnt(),
        "DigitalOcean, Oracle Cloud, DatoCMS updates, dev half, rules alone",
        &dev,
        Some("en"),
    );
    assert!(
        r.carried_accuracy() >= 0.900,
        "accuracy {}",
        r.carried_accuracy()
    );
}

#[test]
fn well_labelled_providers_held_out_half() {
    // The test half: only its aggregate is printed, never its texts or misses (see
    // docs/extraction.md). Its figure is the one to quote for the providers' words.
    let (_, test): (Vec<Labelled>, Vec<Labelled>) =
        well_labelled().into_iter().partition(in_dev_half);
    assert_eq!(test.len(), 1162);
    let r = held_out(
        "DigitalOcean, Oracle Cloud, DatoCMS updates, held-out test half",
        &test,
        Some("en"),
    );
    // Session 17: the learnt fallback reads a phase in updates whose incident carried the right one
    // before (per update 85.8 → 85.9 % on the held-out half, along the incident 86.6 → 86.2 %).
    // Session 18, the model overruling the rules where it clearly reads otherwise: 86.7 %.
    // Session 25, `en_shares_dev` in the model's posts and its least score at -0.25: 86.5 % (two
    // updates of 1,162; the hand-labelled sample of the same providers gains two of 180).
    assert!(
        r.carried_accuracy() >= 0.864,
        "accuracy {}",
        r.carried_accuracy()
    );
    assert!(
        r.false_resolved_rate() < 0.01,
        "false resolved {}",
        r.false_resolved_rate()
    );
}

#[test]
fn french_posts_phases_and_percentages() {
    let mut all = labels("fr_posts.jsonl");
    all.extend(labels("fr_real.jsonl"));
    let r = report("French posts (written + real)", &all, None);
    assert!(
        r.state_accuracy() >= 0.97,
        "accuracy {}",
        r.state_accuracy()
    );
    let recovering = r
        .phases
        .get(&Phase::Recovering)
        .and_then(|c| c.recall())
        .unwrap_or(0.0);
    assert!(recovering >= 0.97, "recovering recall {recovering}");
    assert!(
        r.restored.recall().unwrap_or(0.0) >= 0.99,
        "restored % recall {:?}",
        r.restored.recall()
    );
    assert!(
        r.affected.recall().unwrap_or(0.0) >= 0.99,
        "affected % recall {:?}",
        r.affected.recall()
    );
    assert!(
        r.false_resolved_rate() < 0.01,
        "false resolved {}",
        r.false_resolved_rate()
    );
}

#[test]
fn the_rule_set_never_changes_what_the_rules_find() {
    let x = Extractor::bundled().expect("bundled rules");
    let mut texts: Vec<(String, Option<String>)> = Vec::new();
    for f in [
        "statuspage_labels.jsonl",
        "fr_posts.jsonl",
        "fr_real.jsonl",
        "fr_dev.jsonl",
    ] {
        texts.extend(labels(f).into_iter().map(|l| (l.text, l.lang)));
    }
    let mut differ = 0;
    for (text, lang) in &texts {
        for lang in [lang.clone(), None] {
            let ctx = statustrail::extract::ExtractContext {
                lang,
                tz: chrono_tz::Europe::Paris,
                reference: chrono::Utc::now(),
            };
            if x.extract(text, &ctx) != x.extract_exhaustive(text, &ctx) {
                differ += 1;
                println!("DIFFERS: {text}");
            }
        }
    }
    assert_eq!(differ, 0, "{differ} of {} texts", texts.len());
}

#[test]
fn french_dev_half_the_rules_were_tuned_on() {
    // The dev half of the blind set: its misses were read while generalising the rules (like
    // fr_posts.jsonl, a training score). See docs/extraction.md.
    let r = report("French dev half", &labels("fr_dev.jsonl"), None);
    assert_floors(&r, 0.99, 0.01);
}

#[test]
fn french_second_blind_set_the_rules_were_generalised_on() {
    // fr_dev2.jsonl: 200 posts written blind to the rules (new voices: cdn, isp, bank, public;
    // Belgian, Swiss and Québécois variants). Its misses were read while generalising the
    // French families, so from then on it is a training score too. See PROVENANCE.md.
    let r = report("French second blind set", &labels("fr_dev2.jsonl"), None);
    assert_floors(&r, 0.99, 0.01);
}

#[test]
fn french_held_out_posts_the_rules_were_not_written_on() {
    // The test half: only its aggregate is ever printed, never its texts or misses, so that rules
    // are not written against it. An honest estimate of how the French rules carry over to new
    // wording; see docs/extraction.md.
    let r = held_out("French held-out test half", &labels("fr_test.jsonl"), None);
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 89.4 → 87.1 % (the one held-out set it lowers, by about two posts of 85). Session 18, the
    // model also overruling the rules where it clearly reads otherwise: 87.1 %.
    assert_floors(&r, 0.87, 0.02);
    assert!(
        r.resolved.recall().unwrap_or(0.0) >= 0.80,
        "resolved recall {:?}",
        r.resolved.recall()
    );
}

#[test]
fn a_hand_labelled_sample_of_well_labelled_providers() {
    // 180 DigitalOcean and Oracle Cloud updates labelled from their text alone, blind to the
    // rules and to the provider's word (which agrees with these labels on 84.4 % of them); the
    // rules agree with them on 91.1 % after session 7 (88.3 % before). Only the misses of its
    // dev-half incidents are printed.
    let all = labels("statuspage_handlabelled.jsonl");
    let r = evaluate(&rules_on_disk(), &all, Some("en"));
    println!("== DigitalOcean and Oracle Cloud, hand-labelled sample\n{r}");
    let dev: std::collections::HashSet<&str> = all
        .iter()
        .filter(|l| in_dev_half(l))
        .filter_map(|l| l.id.as_deref())
        .collect();
    for m in r.misses.iter().filter(|m| dev.contains(m.id.as_str())) {
        println!(
            "MISS (dev half) {} expected {:?} got {:?}: {}",
            m.id,
            m.expected,
            m.got,
            m.text.replace(char::is_whitespace, " ")
        );
    }
    assert_floors(&r, 0.90, 0.01);
}

#[test]
fn a_second_hand_labelled_sample_from_the_dev_half() {
    // 200 DigitalOcean, Oracle Cloud and DatoCMS updates of the dev-half incidents (120 / 50 / 30),
    // labelled from their text alone, blind to the rules and to the provider's word (which agrees
    // with these labels on 79.0 % of them, recovering counted as monitoring); the rules read them
    // at 79.5 % blind and at 85.0 % after session 7 tuned on their misses. Every incident is in the
    // dev half, so every miss is printed. See PROVENANCE.md.
    let all = labels("statuspage_handlabelled_dev2.jsonl");
    assert_eq!(all.len(), 200);
    assert!(all.iter().all(in_dev_half));
    let r = report(
        "DigitalOcean, Oracle Cloud and DatoCMS, second hand-labelled sample (dev half)",
        &all,
        Some("en"),
    );
    assert_floors(&r, 0.835, 0.01);
}

#[test]
fn french_second_held_out_set_the_rules_were_not_written_on() {
    // A third blind set (other voices and registers: gaming, hospitals, utilities, payment
    // terminals, casual posts), kept held out like the test half: aggregate only (83.3 % after
    // French round 9 of session 7; 86.7 % and no false resolved since session 10's later watch).
    let r = held_out(
        "French second held-out set",
        &labels("fr_test2.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 89.3 → 92.0 %.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 94.0 %.
    assert_floors(&r, 0.94, 0.01);
}

#[test]
fn english_social_posts_dev_half() {
    // Free-form English posts (X, Mastodon, Bluesky, Discord, founders' threads), written blind
    // to the rules; odd ids. Its misses are read when English rules are written (93.8 % after session 4,
    // 94.7 % after session 7; 92.0 % after session 9's vocabulary fallback, which reads « due to
    // high demand … This isn't an outage » as a cause: the denial is in another sentence).
    let r = report(
        "English social posts, dev half",
        &labels("en_social_dev.jsonl"),
        None,
    );
    assert_floors(&r, 0.92, 0.02);
}

#[test]
fn english_social_posts_held_out_half() {
    // Even ids: aggregate only, never its texts or its misses.
    // Session 7 (branch en-round5): the rules read 2 false "resolved" of 63 (3.2 %), over this
    // floor; it was left as it is (never lowered) for the main session to decide, see
    // docs/extraction.md §3 "Session 7: English social round 5".
    let r = held_out(
        "English social posts, held-out half",
        &labels("en_social_test.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 80.0 → 85.3 %, no false "resolved" added.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 88.0 %.
    assert_floors(&r, 0.88, 0.03);
}

#[test]
fn french_fourth_blind_set_the_rules_were_generalised_on() {
    // 160 posts in the core voices (hosters, telecom operators, cloud, CDN, registrars), written
    // blind in session 4; read blind at 73.1 %, then used to widen the French word families (100 %).
    let r = report(
        "French fourth blind set (development)",
        &labels("fr_dev4.jsonl"),
        None,
    );
    assert_floors(&r, 0.99, 0.01);
}

#[test]
fn french_third_held_out_set_the_rules_were_not_written_on() {
    // Written blind in session 4 alongside fr_dev4 and kept held out: aggregate only. 86.9 %
    // after session 13, 86.2 % after French round 19 (session 14: one resolution fewer, resolved
    // recall 95 → 90 %, while fr_test4 and fr_test5 gained three posts between them).
    let r = held_out("French third held-out set", &labels("fr_test3.jsonl"), None);
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 86.2 → 90.6 %.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 92.5 %.
    // Session 25, the French fallback's resolved margin at 1 (chosen on the blind sets): 93.1 %.
    assert_floors(&r, 0.93, 0.035);
}

#[test]
fn french_fourth_held_out_set_the_rules_were_not_written_on() {
    // 160 posts written blind in session 9 in the proportions of real streams (Statuspage-like
    // updates, social posts, e-mails to customers, support replies) and kept held out: aggregate
    // only. Read at 69.4 % by session 8's rules and 70.6 % by session 9's, with 6 false resolved
    // of 129 (a return followed by a watch in a later sentence, docs/extraction.md); 72.5 % and
    // 3 false resolved once such a watch takes the return back, 73.8 % after French round 13
    // (session 10), 75.0 % after session 11's round 14 (resolved recall 77 %, 3 false resolved)
    // and 76.9 % after round 15 (resolved recall 84 %, 3 false resolved); 77.5 % after round 16
    // (session 12; resolved recall 84 %, 3 false resolved); 79.4 % after round 17 (session 13;
    // resolved recall 87 %, 2 false resolved), 80.6 % after round 18, 81.9 % after round 19
    // (session 14).
    let r = held_out(
        "French fourth held-out set",
        &labels("fr_test4.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 81.9 → 83.8 %.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 85.6 %.
    // Session 24, the French fallback's least score at -0.25 (chosen on the blind sets): 86.9 %.
    // Session 25, its resolved margin at 1 (chosen on the blind sets too): 87.5 %.
    assert_floors(&r, 0.87, 0.02);
}

#[test]
fn english_social_posts_second_dev_set() {
    // 160 free-form English posts written blind in session 4 (read blind at 50.6 %); its misses
    // are read when English rules are written (93.8 % after session 4, 98.1 % after session 7).
    let r = report(
        "English social posts, second dev set",
        &labels("en_social_dev2.jsonl"),
        None,
    );
    assert_floors(&r, 0.97, 0.02);
}

#[test]
fn english_social_posts_second_held_out_set() {
    // Written blind in session 4 alongside en_social_dev2 and kept held out: aggregate only
    // (61.9 % after session 6, 66.2 % after session 7's round 5, 66.9 % after round 6). Round 5 as
    // first written read 5 false "resolved" of 136 (3.7 %), over this floor; as merged, and after
    // round 6, 4 of 136 (2.9 %), see docs/extraction.md §3; 75.0 % after English round 13
    // (session 13).
    let r = held_out(
        "English social posts, second held-out set",
        &labels("en_social_test2.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 75.0 → 79.4 %, no false "resolved" added.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 83.8 %.
    assert_floors(&r, 0.83, 0.035);
}

#[test]
fn english_social_posts_eighth_dev_set_in_the_mix_of_real_streams() {
    // 200 posts written blind in session 10 in the proportions of real streams (status-page
    // updates, social posts, e-mails, support replies), with the widest wording for the end of
    // incidents; read blind at 53.5 % (resolved recall 39 %), 76.0 % after English round 8
    // (resolved recall 78 %, 3 false "resolved" of 149), 82.0 % after session 11; its misses are
    // read when English rules are written.
    let r = report(
        "English social posts, eighth dev set",
        &labels("en_social_dev8.jsonl"),
        None,
    );
    assert_floors(&r, 0.81, 0.03);
}

#[test]
fn english_tenth_dev_set_weighted_to_status_logs() {
    // 200 posts written blind in session 11, weighted to status pages and incident logs of
    // providers that do not use the Atlassian template; read blind at 46.5 % by session 10's rules
    // and 52.0 % by session 11's earlier rounds, 68.5 % after English round 10 (resolved recall
    // 65 %, 4 false "resolved" of 148), 83.0 % after session 12, 85.5 % and no false "resolved"
    // after English round 12.
    let r = report(
        "English tenth dev set (status logs)",
        &labels("en_social_dev10.jsonl"),
        None,
    );
    assert_floors(&r, 0.85, 0.01);
}

#[test]
fn english_eleventh_dev_set_read_blind_in_session_12() {
    // 120 posts written blind at the end of session 12 in the proportions of real streams; read
    // blind at 60.8 % by session 11's rules and 63.3 % by session 12's (resolved recall 58 %, 3
    // false "resolved" of 96); the dev set of English round 12 (session 13): 87.5 %, resolved
    // recall 87.5 %, no false "resolved".
    let r = report(
        "English eleventh dev set",
        &labels("en_social_dev11.jsonl"),
        None,
    );
    assert_floors(&r, 0.87, 0.01);
}

#[test]
fn french_sixteenth_dev_set_read_blind_in_session_12() {
    // 120 posts written blind at the end of session 12 in the proportions of real streams; read
    // blind at 72.5 % by session 11's rules and 73.3 % by session 12's (resolved recall 62 %, 2
    // false "resolved" of 94); the dev set of French round 17 (session 13): 99.2 %, resolved recall
    // 100 %, no false "resolved".
    let r = report("French sixteenth dev set", &labels("fr_dev16.jsonl"), None);
    assert_floors(&r, 0.99, 0.01);
}

#[test]
fn english_twelfth_dev_set_read_blind_in_session_13() {
    // 120 posts written blind in session 13 in the proportions of real streams; read blind at
    // 63.3 % by session 12's rules and 63.3 % by session 13's (resolved recall 45 %, 1 false
    // "resolved" of 89): English round 12, which took en_social_dev11 from 63.3 to 87.5 %, moved
    // this unseen set by nothing. The development set of English round 13 (session 13): 88.3 %,
    // resolved recall 90 %, 1 false "resolved" of 89.
    let r = report(
        "English twelfth dev set",
        &labels("en_social_dev12.jsonl"),
        None,
    );
    assert_floors(&r, 0.88, 0.02);
}

#[test]
fn french_seventeenth_dev_set_read_blind_in_session_13() {
    // 120 posts written blind in session 13 in the proportions of real streams; read blind at
    // 65.8 % by session 12's rules and 67.5 % by session 13's (resolved recall 64 %, 3 false
    // "resolved" of 98). The development set of French round 18 (session 13): 92.5 %, resolved
    // recall 100 %, no false "resolved".
    let r = report(
        "French seventeenth dev set",
        &labels("fr_dev17.jsonl"),
        None,
    );
    assert_floors(&r, 0.92, 0.01);
}

#[test]
fn english_thirteenth_dev_set_read_blind_in_session_14() {
    // 120 posts written blind in session 14; read blind at 65.0 % by session 12's rules, 65.0 %
    // after English round 12 and 69.2 % after round 13 (resolved recall 54.5 %, 1 false
    // "resolved" of 87): round 13, whose brief asked for each family's other phrasings first,
    // moved this unseen set by 4 points where round 12 had moved en_social_dev12 by none. The
    // development set of English round 14 (session 14): 91.7 %, resolved recall 88 %, no false
    // "resolved" (94.2 % with a rule for returns told as a time since which all has worked, left
    // out because it added a false "resolved" to a held-out set; docs/extraction.md).
    let r = report(
        "English thirteenth dev set",
        &labels("en_social_dev13.jsonl"),
        None,
    );
    assert_floors(&r, 0.91, 0.01);
}

#[test]
fn french_eighteenth_dev_set_read_blind_in_session_14() {
    // 120 posts written blind in session 14; read blind at 65.8 % by session 12's rules, 67.5 %
    // after French round 17 and 69.2 % after round 18 (resolved recall 72 %, 6 false "resolved"
    // of 95: returns followed by a watch, partial returns). The development set of French round
    // 19 (session 14): 97.5 %, resolved recall 100 %, no false "resolved".
    let r = report("French eighteenth dev set", &labels("fr_dev18.jsonl"), None);
    assert_floors(&r, 0.97, 0.01);
}

#[test]
fn english_fourteenth_dev_set_read_blind_in_session_14() {
    // 120 posts written blind at the end of session 14, briefed to avoid the most obvious
    // phrasings; read blind at 60.0 % by session 12's rules, 63.3 % by session 13's and 62.5 %
    // after English round 14 (resolved recall 19 % throughout, no false "resolved" of 94). The
    // development set of English round 15 (session 15): 92.5 %, resolved recall 88 %, still no
    // false "resolved".
    let r = report(
        "English fourteenth dev set",
        &labels("en_social_dev14.jsonl"),
        None,
    );
    assert_floors(&r, 0.92, 0.01);
}

#[test]
fn french_nineteenth_dev_set_read_blind_in_session_14() {
    // 120 posts written blind at the end of session 14, most of them other phrasings of
    // fr_dev18's situations (PROVENANCE.md); read blind at 73.3 % by session 12's rules, 78.3 %
    // by session 13's and 81.7 % after French round 19 (resolved recall 76 %, 2 false "resolved"
    // of 95). The development set of French round 20 (session 15): 94.2 %, resolved recall
    // 100 %, no false "resolved".
    let r = report("French nineteenth dev set", &labels("fr_dev19.jsonl"), None);
    assert_floors(&r, 0.94, 0.01);
}

#[test]
fn english_fifteenth_dev_set_read_blind_in_session_15() {
    // 120 posts written blind in session 15 (the real mix of forms), after English round 15 was
    // written: read at 68.3 % by session 14's rules and 69.2 % after round 15 (resolved recall
    // 52 % for both, 1 false "resolved" of 95): round 15 moved fresh English by one post.
    let r = report(
        "English fifteenth dev set",
        &labels("en_social_dev15.jsonl"),
        None,
    );
    // Session 17: 80.0 % with the learnt fallback (not trained on this set), same false "resolved".
    // Session 18: 83.3 % with the model overruling the rules, whose `override_gap` was chosen on
    // this set and the five other blind sets (below).
    assert_floors(&r, 0.83, 0.02);
}

#[test]
fn french_twentieth_dev_set_read_blind_in_session_15() {
    // 120 posts written blind in session 15 on new situations, after French round 20 was
    // written: read at 78.3 % by session 14's rules and by round 20's alike (resolved recall
    // 69 %, 1 false "resolved" of 91).
    let r = report("French twentieth dev set", &labels("fr_dev20.jsonl"), None);
    // Session 17: 80.0 % with the learnt fallback (not trained on this set), same false "resolved".
    // Session 18: 85.0 % with the model overruling the rules, whose `override_gap` was chosen on
    // this set and the five other blind sets (below).
    assert_floors(&r, 0.85, 0.02);
}

#[test]
fn english_social_posts_ninth_dev_set_in_the_mix_of_real_streams() {
    // 200 posts written blind in session 11 in the proportions of real streams, with returns told
    // after the fact in replies, e-mails and write-ups; read blind at 51.0 % by session 10's rules
    // (54.5 % by session 11's first changes), 81.0 % after English round 9 (resolved recall 68 %,
    // 1 false "resolved" of 138).
    let r = report(
        "English social posts, ninth dev set",
        &labels("en_social_dev9.jsonl"),
        None,
    );
    assert_floors(&r, 0.80, 0.015);
}

#[test]
fn english_third_held_out_set_in_the_mix_of_real_streams() {
    // 160 posts written blind in session 10 in the proportions of real streams (status-page
    // updates, social posts, e-mails, support replies) and kept held out: aggregate only, the
    // figure to quote for unseen English. Read at 51.9 % by session 9's rules, 54.4 % after
    // English round 7 (resolved recall 25 %, 2 false "resolved" of 128) and 56.2 % after round 8
    // (resolved recall 34 %, 2 of 128); 61.3 % after session 11's round 9 and the Google Cloud
    // wording (resolved recall 44 %, 3 of 128: one false "resolved" more), and 61.3 % with 4 of
    // 128 after English round 10 (session 11); 62.5 % with 5 of 128 after English round 11
    // (session 12: no new resolved rule fires on a development post not labelled resolved, so the
    // fifth is unexplained; the held-out texts stay unread).
    let r = held_out(
        "English third held-out set",
        &labels("en_social_test3.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 65.0 → 69.4 %, no false "resolved" added.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 71.2 %.
    // Session 25, the English fallback's least score at -0.25 (chosen on the blind sets), with
    // `en_shares_dev` among its posts: 74.4 %.
    assert_floors(&r, 0.74, 0.04);
}

#[test]
fn french_fifth_blind_set_the_rules_were_generalised_on() {
    // 160 longer, mixed posts (multi-update pages, e-mails, public bodies, banks), written blind
    // in session 4 and read blind at 67.5 % by the rules of the first tuning round; then used to
    // widen the French families (99.4 %).
    let r = report(
        "French fifth blind set (development)",
        &labels("fr_dev5.jsonl"),
        None,
    );
    assert_floors(&r, 0.98, 0.01);
}

#[test]
fn english_social_posts_third_dev_set() {
    // 160 longer, mixed English posts written blind in session 4 (read blind at 51.9 % by the
    // rules of the first tuning round, 96.2 % after the second, 98.8 % after session 7); its misses
    // are read when English rules are written.
    let r = report(
        "English social posts, third dev set",
        &labels("en_social_dev3.jsonl"),
        None,
    );
    assert_floors(&r, 0.96, 0.01);
}

#[test]
fn english_social_posts_fourth_dev_set() {
    // 160 posts written blind in session 6 with wording not quoted in PROVENANCE.md, read blind at
    // 40.6 % (resolved recall 19 %) by the rules of session 5, 91.9 % after one tuning round, 96.2 %
    // after session 7; its misses are read when English rules are written.
    let r = report(
        "English social posts, fourth dev set",
        &labels("en_social_dev4.jsonl"),
        None,
    );
    assert_floors(&r, 0.94, 0.01);
}

#[test]
fn english_social_posts_fifth_dev_set() {
    // 160 posts written blind in session 7 (incident threads by one provider, non-native,
    // Australian and British voices, forum / Discord / SMS / LinkedIn posts), read blind at 58.1 %
    // (resolved recall 30 %) by the rules of session 6, 96.2 % after one tuning round, 83.1 % once
    // that round's three new "it's over" rules were dropped (they read this set's closings but
    // added two false "resolved" on the held-out sets, docs/extraction.md §3); its misses are
    // read when English rules are written.
    let r = report(
        "English social posts, fifth dev set",
        &labels("en_social_dev5.jsonl"),
        None,
    );
    assert_floors(&r, 0.83, 0.01);
}

#[test]
fn english_social_posts_sixth_dev_set() {
    // 120 posts written blind in session 7 in voices the earlier English sets covered little
    // (e-mail / newsletter providers, payment processors, CI/CD, game live ops, campus, hospital and
    // council IT, airlines, streaming, crypto exchanges) and forms (very short posts, threads,
    // corrections, questions, time-stamped lines, Indian / Singaporean / Irish English; about 30
    // posts close to a resolution but not one); read blind at 55.8 % (resolved recall 21 %) by the
    // rules of session 7's round 5, 87.5 % after round 6 (no false "resolved"); its misses are read
    // when English rules are written.
    let r = report(
        "English social posts, sixth dev set",
        &labels("en_social_dev6.jsonl"),
        None,
    );
    assert_floors(&r, 0.86, 0.01);
}

#[test]
fn english_social_posts_seventh_dev_set_weighted_to_incident_ends() {
    // 160 posts written blind in session 10, weighted to the end of incidents (a return for
    // everyone, then a watch that goes on; an explicit closure with a watch beside it; IoT,
    // logistics, EV charging, tills and satellite voices); read blind at 48.1 % by session 10's
    // rules, 82.5 % (1 false "resolved" of 121) after English round 7; its misses are read when
    // English rules are written.
    let r = report(
        "English social posts, seventh dev set",
        &labels("en_social_dev7.jsonl"),
        None,
    );
    assert_floors(&r, 0.82, 0.01);
}

#[test]
fn french_sixth_and_seventh_blind_sets_the_rules_were_generalised_on() {
    // 2 × 160 posts written blind in session 5 with wording not quoted in PROVENANCE.md (status
    // tickets, translated Statuspage wording, NOC and community-manager voices); read blind at
    // 54.4 % and 50.0 % by the rules of session 4, then used to widen the French families
    // (91.2 % each), and again in session 6 (97.5 % and 96.9 %, no false resolved) and session 7
    // (98.1 % and 96.9 %).
    for (name, false_resolved) in [("fr_dev6.jsonl", 0.01), ("fr_dev7.jsonl", 0.01)] {
        let r = report(
            &format!("French blind development set {name}"),
            &labels(name),
            None,
        );
        assert_floors(&r, 0.96, false_resolved);
    }
}

#[test]
fn french_eighth_blind_set_the_rules_were_generalised_on() {
    // 160 posts written blind in session 7 in new voices (datacentre / colocation operators, CDN,
    // managed DNS, public-sector IT, banks) and forms (« MAJ » updates, replies to customers, forum
    // and LinkedIn-style posts, SMS notices, French translated word for word from English); read
    // blind at 68.8 % by the rules of session 6, then used to widen the French families (98.8 %,
    // no false resolved).
    let r = report(
        "French eighth blind set (development)",
        &labels("fr_dev8.jsonl"),
        None,
    );
    assert_floors(&r, 0.97, 0.01);
}

#[test]
fn french_eleventh_blind_set_the_rules_were_generalised_on() {
    // 120 posts written blind in session 9 with the widest vocabulary asked for (plain wording of
    // community managers and on-call engineers, six new voices: EV charging, insurance, ticketing,
    // media, schools, travel); read blind at 61.7 % by session 8's rules and 63.3 % with the French
    // vocabulary fallback; French round 11 then widened the families on its misses (an end said
    // for everyone, familiar watches, incident accounts, a cause at a third party): 77.5 %;
    // 90.0 % after session 12, 95.0 % after French round 17 (session 13).
    let r = report(
        "French eleventh blind set (development)",
        &labels("fr_dev11.jsonl"),
        None,
    );
    assert_floors(&r, 0.94, 0.01);
}

#[test]
fn french_twelfth_blind_set_weighted_to_incident_ends() {
    // 160 posts written blind in session 10, half of them at the end of an incident, where a
    // return, a watch that goes on and an explicit closure must be told apart (five new voices:
    // managed IT, tills, e-learning, parking, SMS APIs); read blind at 73.1 % with 4 false
    // resolved, 74.4 % and 2 once a later watch takes back a plain return, then 85.6 % and 1
    // after French round 12 (docs/extraction.md, session 10).
    let r = report(
        "French twelfth blind set (development)",
        &labels("fr_dev12.jsonl"),
        None,
    );
    assert_floors(&r, 0.85, 0.01);
}

#[test]
fn french_thirteenth_blind_set_in_the_mix_of_real_streams() {
    // 200 posts written blind in session 10 in the proportions of real streams (status-page
    // updates, social posts, e-mails, support replies; French from France, Belgium, Switzerland,
    // Québec and West Africa); read blind at 57.5 % (resolved recall 41 %, 6 false resolved of
    // 144), 63.0 % after French round 13 (resolved recall 57 %, 4 false resolved), 68.0 % after
    // session 11 (closed windows told in the past, French round 14), 84.0 % after session 12,
    // 91.5 % after French round 17 (session 13; 1 false resolved of 144, a label judged wrong:
    // « l'export CSV remarche depuis mardi » does announce a return).
    let r = report(
        "French thirteenth blind set (development)",
        &labels("fr_dev13.jsonl"),
        None,
    );
    assert_floors(&r, 0.91, 0.01);
}

#[test]
fn french_fifteenth_blind_set_weighted_to_status_logs() {
    // 200 posts written blind in session 11, weighted to status pages and incident logs; read
    // blind at 58.5 % by session 10's rules and 62.0 % by session 11's round 14, 77.0 % after
    // French round 15 (resolved recall 85 %, 1 false resolved of 159), 88.0 % after session 12,
    // 93.5 % and no false resolved after French round 17 (session 13).
    let r = report(
        "French fifteenth blind set (status logs)",
        &labels("fr_dev15.jsonl"),
        None,
    );
    assert_floors(&r, 0.93, 0.005);
}

#[test]
fn french_fourteenth_blind_set_in_the_mix_of_real_streams() {
    // 200 posts written blind in session 11 in the proportions of real streams; read blind at
    // 58.0 % by session 10's rules (resolved recall 47 %, 1 false resolved of 140), 94.0 % after
    // French round 14 (resolved recall 90 %, no false resolved).
    let r = report(
        "French fourteenth blind set (development)",
        &labels("fr_dev14.jsonl"),
        None,
    );
    assert_floors(&r, 0.93, 0.01);
}

#[test]
fn french_ninth_blind_set_the_rules_were_generalised_on() {
    // 120 posts written blind in session 7 (French round 9) in new voices (game-server hosts,
    // e-mail, payment, e-commerce, VoIP, regional ISPs, hospital and university IT, town halls,
    // start-ups) and forms (threads of one provider's updates, very short posts, English words, a
    // later sentence correcting an earlier one, questions to customers, « il semblerait que »,
    // timed lines); read blind at 64.2 % by the rules of French round 8, then used to widen the
    // French families (90.8 %, no false resolved, once the round's new resolution rules were
    // dropped: docs/extraction.md §3); 98.3 % after French round 17 (session 13).
    let r = report(
        "French ninth blind set (development)",
        &labels("fr_dev9.jsonl"),
        None,
    );
    assert_floors(&r, 0.98, 0.01);
}

#[test]
fn restored_and_affected_shares_in_held_out_posts() {
    // Percentages on posts the rules were not written on, every held-out set of a language
    // together, aggregate only: session 7's figures as floors, French affected recall raised after
    // French round 9 (68.6 %) (precision stays high, recall is where unseen wording shows); raised
    // in session 20 by the learnt share reader (restored / affected recall, French 66 → 88.0 % /
    // 68.6 → 88.6 %, English 53 → 82.1 % / 55 → 95.2 %; precision 93.6–100 %).
    let mut french = labels("fr_test.jsonl");
    french.extend(labels("fr_test2.jsonl"));
    french.extend(labels("fr_test3.jsonl"));
    let mut english = labels("en_social_test.jsonl");
    english.extend(labels("en_social_test2.jsonl"));
    for (title, set, lang, restored_recall, affected_recall) in [
        (
            "French held-out sets, percentages",
            french,
            None,
            0.86,
            0.84,
        ),
        (
            "English social held-out sets, percentages",
            english,
            Some("en"),
            // Session 25: 0.804 → 0.786, one share of 51 fewer once the share reader learnt
            // `en_shares_dev`'s unrelated percentages (its precision 97.6 → 100 %).
            0.78,
            0.93,
        ),
    ] {
        let r = held_out(title, &set, lang);
        let (rp, rr) = (r.restored.precision(), r.restored.recall());
        let (ap, ar) = (r.affected.precision(), r.affected.recall());
        assert!(
            rp.unwrap_or(0.0) >= 0.9 && rr.unwrap_or(0.0) >= restored_recall,
            "{title}: restored {rp:?} {rr:?}"
        );
        assert!(
            ap.unwrap_or(0.0) >= 0.9 && ar.unwrap_or(0.0) >= affected_recall,
            "{title}: affected {ap:?} {ar:?}"
        );
    }
}

#[test]
fn shares_of_the_blind_sets_read_by_the_share_reader() {
    // The eight blind sets of sessions 15 to 19 (aggregate only; they never train a model): with
    // the rules alone, restored / affected recall 69.5 / 65.5 % in French and 48.1 / 48.0 % in
    // English; with the learnt share reader behind them (session 20), 88.1 / 87.3 % and
    // 63.0 / 78.0 %, precision 81.2 % and above.
    for (lang, files, restored, affected, precision) in [
        (
            None,
            [
                "fr_dev20.jsonl",
                "fr_dev21.jsonl",
                "fr_dev22.jsonl",
                "fr_dev23.jsonl",
            ],
            0.86,
            0.82,
            0.9,
        ),
        (
            Some("en"),
            [
                "en_social_dev15.jsonl",
                "en_social_dev16.jsonl",
                "en_social_dev17.jsonl",
                "en_social_dev18.jsonl",
            ],
            // Session 25: 63.0 → 59.3 % (two of 54) for precision 87.2 → 88.9 %, once the share
            // reader learnt `en_shares_dev`'s unrelated percentages.
            0.59,
            0.72,
            0.78,
        ),
    ] {
        let set: Vec<Labelled> = files.iter().flat_map(|f| labels(f)).collect();
        let r = held_out("blind sets, percentages", &set, lang);
        let (rp, rr) = (r.restored.precision(), r.restored.recall());
        let (ap, ar) = (r.affected.precision(), r.affected.recall());
        assert!(
            rp.unwrap_or(0.0) >= precision && rr.unwrap_or(0.0) >= restored,
            "{lang:?}: restored {rp:?} {rr:?}"
        );
        assert!(
            ap.unwrap_or(0.0) >= precision && ar.unwrap_or(0.0) >= affected,
            "{lang:?}: affected {ap:?} {ar:?}"
        );
    }
}

/// Resolved against not resolved, on a provider whose own word says only that (Google Cloud, AWS):
/// resolved recall at least `recall`, false "resolved" under `false_resolved`.
fn assert_resolved_floors(r: &EvalReport, recall: f64, false_resolved: f64) {
    let got = r.resolved.recall().unwrap();
    assert!(got >= recall, "resolved recall {got}");
    assert!(
        r.false_resolved_rate() < false_resolved,
        "false resolved {}",
        r.false_resolved_rate()
    );
}

/// One half of a provider's label file, split by incident like the well-labelled providers
/// (FNV-1a of the id, even → dev, odd → held out). Incident reports (labelled postmortem) are left
/// out: a report may say the incident was resolved, which is no false resolution.
fn provider_half(file: &str, dev: bool) -> Vec<Labelled> {
    labels(file)
        .into_iter()
        .filter(|l| l.status != Some(Phase::Postmortem) && in_dev_half(l) == dev)
        .collect()
}

// Google Cloud's status updates (`gcp_labels.jsonl`), labelled resolved or not by Google's own
// service status (`make_gcp_labels.py`): a second provider in real text, never read by the rules
// before session 11.

#[test]
fn google_cloud_updates_dev_half_resolved_or_not() {
    // Read blind at 7.0 % resolved recall, 3 false "resolved" of 225; 76.1 %, 3 of 225, after
    // session 11.
    let r = report(
        "Google Cloud updates, dev half (resolved lines only)",
        &provider_half("gcp_labels.jsonl", true),
        Some("en"),
    );
    assert_resolved_floors(&r, 0.75, 0.015);
}

#[test]
fn google_cloud_updates_held_out_half_resolved_or_not() {
    // Read blind at 5.2 % resolved recall, no false "resolved" of 324; 79.2 %, 1 of 324, after
    // session 11.
    let r = held_out(
        "Google Cloud updates, held-out half (resolved lines only)",
        &provider_half("gcp_labels.jsonl", false),
        Some("en"),
    );
    assert_resolved_floors(&r, 0.77, 0.01);
}

// AWS Service Health Dashboard updates (`aws_labels.jsonl`), labelled by the event's own
// "[RESOLVED]" mark: the last update of a resolved event is the resolution, every other update is
// not (`make_aws_labels.py`). A third provider in real text.

#[test]
fn aws_updates_dev_half_resolved_or_not() {
    // Read blind at 85.8 % resolved recall, 3 false "resolved" of 343 (two of them "resolved"
    // updates that AWS followed with another one); 87.6 %, 4 of 343, after session 11.
    let r = report(
        "AWS updates, dev half (resolved lines only)",
        &provider_half("aws_labels.jsonl", true),
        Some("en"),
    );
    assert_resolved_floors(&r, 0.87, 0.015);
}

#[test]
fn aws_updates_held_out_half_resolved_or_not() {
    // Read blind at 92.9 % resolved recall, 5 false "resolved" of 310; 94.9 %, 5 of 310, after
    // session 11; 93.9 %, 5 of 310, after English round 12 (session 13), whose guard for work
    // still going on elsewhere in the post (`work_continues_post`: "we continue to recover …",
    // "next update by …") took back 5 false "resolved" of the GCP and AWS dev halves and, measured
    // in aggregate with the guard left out, one real resolution here: floor lowered by that one.
    let r = held_out(
        "AWS updates, held-out half (resolved lines only)",
        &provider_half("aws_labels.jsonl", false),
        Some("en"),
    );
    assert_resolved_floors(&r, 0.93, 0.02);
}

#[test]
fn english_fourth_held_out_set_in_the_mix_of_real_streams() {
    // 160 posts written blind during session 11 in the proportions of real streams and kept held
    // out: aggregate only. Read once at the end of session 11: 58.1 % by session 10's rules
    // (resolved recall 39 %, no false "resolved" of 119), 62.5 % by session 11's (resolved recall
    // 49 %, 1 of 119).
    let r = held_out(
        "English fourth held-out set",
        &labels("en_social_test4.jsonl"),
        None,
    );
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 66.2 → 71.2 %, no false "resolved" added.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 73.8 %.
    // Session 25, the English fallback's least score at -0.25: 75.6 %.
    assert_floors(&r, 0.75, 0.015);
}

#[test]
fn french_fifth_held_out_set_in_the_mix_of_real_streams() {
    // 160 posts written blind during session 11 in the proportions of real streams and kept held
    // out: aggregate only. Read once at the end of session 11: 56.2 % by session 10's rules
    // (resolved recall 35 %, 5 false resolved of 126), 63.7 % by session 11's (resolved recall
    // 56 %, 4 of 126); 64.4 % after the session's last French family (read a second time);
    // 66.2 % after French round 16 (session 12; resolved recall 56 %, 4 of 126); 68.8 % after
    // round 17 (session 13; resolved recall 56 %, 4 of 126), 69.4 % after round 18, 70.0 % after
    // round 19 (session 14; 3 of 126).
    let r = held_out("French fifth held-out set", &labels("fr_test5.jsonl"), None);
    // Session 17, with the learnt fallback (patterns/<lang>/learnt.jsonl, never trained on this set):
    // 70.0 → 73.8 %.
    // Session 18, the model also overruling the rules where it clearly reads otherwise: 78.1 %.
    // Session 24, the French fallback's least score at -0.25 (chosen on the blind sets): 80.0 %.
    assert_floors(&r, 0.795, 0.035);
}

#[test]
fn blind_sets_of_session_18_the_override_gap_is_chosen_on() {
    // 200 posts each, written blind in session 18 (English threads and replies, English
    // status-page prose of many companies, French operators and public services in many
    // registers, French status pages and e-mails) and read once, blind, right after: rules alone
    // 64.5 / 62.5 / 77.5 / 73.0 %, with session 17's fallback 74.0 / 73.5 / 81.0 / 78.5 %, with
    // session 18's overruling model the figures below. With `en_social_dev15` and `fr_dev20` they
    // are the sets `override_gap` is chosen on; no rule or learnt post is written from them, so
    // only their aggregates are printed.
    for (file, lang, accuracy, false_resolved) in [
        ("en_social_dev16.jsonl", Some("en"), 0.75, 0.02),
        ("en_social_dev17.jsonl", Some("en"), 0.78, 0.025),
        ("fr_dev21.jsonl", None, 0.83, 0.01),
        ("fr_dev22.jsonl", None, 0.835, 0.01),
    ] {
        let r = held_out(file, &labels(file), lang);
        assert_floors(&r, accuracy, false_resolved);
    }
}

#[test]
fn blind_sets_of_session_19_read_once_and_kept_blind() {
    // Written blind in session 19 and read once, right after (aggregate only): 200 English posts
    // of many forms and 200 French ones (rules alone 77.5 % and 81.0 %, with the model 83.0 %
    // and 86.0 %), and 160 everyday posts in each language, 85 % without a phase, many using
    // incident words in another sense (rules alone 80.0 % and 79.4 %, with the model 91.2 % and
    // 90.6 %). The first two join the sets `override_gap` is chosen on, all four the sets
    // `min_score` is chosen on (session 24: the French everyday posts 90.0 %; session 25, English
    // least score -0.25: the English ones 90.6 %); none trains the model
    // (`BLIND` in make_learnt_posts.py), so only their aggregates are printed.
    for (file, lang, accuracy, false_resolved) in [
        ("en_social_dev18.jsonl", Some("en"), 0.83, 0.015),
        ("fr_dev23.jsonl", None, 0.86, 0.015),
        ("en_offtopic_dev2.jsonl", Some("en"), 0.90, 0.03),
        ("fr_offtopic_dev2.jsonl", None, 0.90, 0.01),
    ] {
        let r = held_out(file, &labels(file), lang);
        assert_floors(&r, accuracy, false_resolved);
    }
}

// Everyday posts of providers' accounts (`*_offtopic_*`, session 17): launches, offers, hiring,
// greetings, tips, and a third of them with incident words in another sense ("we're investigating
// new regions"); about one post in ten announces a phase. The dev sets are among the learnt
// fallback's training posts; the test sets are held out.

/// Posts labelled with no phase that are read with one.
fn invented(r: &EvalReport) -> usize {
    r.misses.iter().filter(|m| m.expected.is_none()).count()
}

#[test]
fn everyday_posts_dev_sets_the_learnt_fallback_learnt_from() {
    // First read by the rules at 83.3 % (English) and 78.3 % (French), with 5 and 4 false
    // "resolved" of 118 ("Problem solved: …", "Back by popular demand: …", « rétabli à la
    // demande générale »); offers and a denial now cancel a return (`offer_post`,
    // `denial_post`), and a question after « normale » (`question_post`): 85.8 % and 80.0 %,
    // 2 false "resolved" each; with the fallback, 86.7 % and 81.7 %.
    for (file, lang, floor) in [
        ("en_offtopic_dev.jsonl", "en", 0.86),
        ("fr_offtopic_dev.jsonl", "fr", 0.81),
    ] {
        let r = report(file, &labels(file), Some(lang));
        assert_floors(&r, floor, 0.02);
    }
}

#[test]
fn everyday_posts_held_out_the_learnt_fallback_invents_no_incident_in() {
    // Read at 86.2 % by the rules alone and with the fallback (English), 83.8 % and 82.5 %
    // (French): on everyday posts the fallback names a phase where none is about as rarely as
    // the rules do. Session 18, the model also overruling the rules where it clearly reads
    // otherwise (often: no phase at all): 91.2 % and 88.8 %. Session 24, the French fallback's
    // least score lowered to -0.25 (chosen on the blind sets, where French incident posts gained
    // a point): French 86.2 %, two posts (docs/extraction.md §3, Session 24).
    for (file, lang, floor) in [
        // Session 25, the English least score lowered to -0.25 as well: 91.2 → 88.8 %.
        ("en_offtopic_test.jsonl", "en", 0.885),
        ("fr_offtopic_test.jsonl", "fr", 0.86),
    ] {
        let posts = labels(file);
        let r = held_out(file, &posts, Some(lang));
        assert_floors(&r, floor, 0.02);
        let rules = evaluate(&rules_on_disk().without_learnt(), &posts, Some(lang));
        assert!(
            invented(&r) <= invented(&rules) + 1,
            "{file}: {} posts read with a phase they do not announce, against {} by the rules",
            invented(&r),
            invented(&rules)
        );
    }
}
