//! The wording issue 3 names, read the way a user runs `statustrail extract`: the bundled rules,
//! the language detected per post, the learnt model behind the rules. The rules' own examples
//! test each rule alone; this pins what the whole extractor makes of each phrase, short posts
//! included (a two-word post gives language detection little to go on, and the model little
//! beyond what the rule read).

use chrono::{DateTime, Utc};
use statustrail::extract::{ExtractContext, Extractor};

/// What the extractor reads in `text`, as tokens: `lang=fr`, each phase (`identified`) and, when
/// the text gives its time, the phase with it (`identified@11-27T11:30`, UTC), `restored=90`,
/// `affected=90`.
fn reading(x: &Extractor, text: &str) -> Vec<String> {
    let reference: DateTime<Utc> = "2026-11-28T06:00:00Z".parse().expect("a time");
    let ctx = ExtractContext {
        lang: None,
        tz: chrono_tz::UTC,
        reference,
    };
    let (lang, statements) = x.read(text, &ctx);
    let mut tokens = vec![format!("lang={lang}")];
    for s in statements {
        if let Some(p) = s.phase() {
            tokens.push(p.as_str().to_string());
            if let Some(at) = s.mentioned_at {
                tokens.push(format!("{}@{}", p.as_str(), at.format("%m-%dT%H:%M")));
            }
        }
        if let Some(r) = s.restored() {
            tokens.push(format!("restored={}", r.value()));
        }
        if let Some(a) = s.affected() {
            tokens.push(format!("affected={}", a.value()));
        }
    }
    tokens
}

/// Each phrase, and what must (`token`) and must not (`!token`) be read in it.
const CASES: &[(&str, &str)] = &[
    // Phases, English.
    (
        "We are investigating reports of elevated errors.",
        "lang=en investigating",
    ),
    (
        "The issue has been identified and a fix is being implemented.",
        "identified",
    ),
    ("Traffic is recovering.", "recovering !resolved"),
    (
        "A fix has been implemented and we are monitoring the results.",
        "monitoring",
    ),
    ("This incident has been resolved.", "resolved"),
    ("Service restored.", "lang=en resolved"),
    ("Partial outage in the API.", "investigating"),
    ("Service degraded.", "investigating"),
    ("Network issues in Frankfurt.", "investigating"),
    ("Back to business as usual.", "resolved"),
    (
        "The maintenance window has ended.",
        "maintenance_completed !maintenance_scheduled",
    ),
    (
        "All services restored at 11:30 UTC.",
        "resolved@11-27T11:30",
    ),
    ("An incident report will follow.", "postmortem"),
    // Phases, French.
    (
        "Nous constatons un incident sur nos services.",
        "lang=fr investigating",
    ),
    (
        "Perturbations en cours sur la messagerie.",
        "lang=fr investigating",
    ),
    (
        "Remise en marche progressive des services.",
        "lang=fr recovering !resolved",
    ),
    ("Rétablissement en cours.", "lang=fr recovering !resolved"),
    ("Retour à la normale.", "lang=fr resolved"),
    ("Incident clos.", "lang=fr resolved"),
    ("Service rétabli.", "lang=fr resolved"),
    ("L'ensemble des services est rétabli.", "lang=fr resolved"),
    (
        "Ce n'était pas une attaque DDoS ; un rapport d'incident suivra.",
        "postmortem",
    ),
    // Negations and forecasts never flip a phase.
    (
        "The issue is not fully resolved yet.",
        "!resolved !recovering",
    ),
    (
        "We aim to restore service within the hour.",
        "!resolved !recovering",
    ),
    (
        "Le service n'est pas encore rétabli.",
        "!resolved !recovering",
    ),
    (
        "Rétablissement attendu dans la soirée.",
        "!resolved !recovering",
    ),
    // The story: identified around 11:30, restarting progressively, back at 90 % at 12:30.
    (
        "Le problème a été identifié vers 11h30.",
        "lang=fr identified@11-27T11:30 !recovering",
    ),
    (
        "Le problème a été identifié vers 11h30, les services redémarrent progressivement.",
        "identified recovering !resolved",
    ),
    (
        "Retour à la normale à 90 % à 12h30.",
        "restored=90 recovering@11-27T12:30 !resolved",
    ),
    (
        "Services are back to normal at 90 %.",
        "lang=en restored=90 recovering !resolved",
    ),
    // Percentages: the forms, restored and affected told apart, unrelated ones ignored.
    ("Services rétablis à 90\u{a0}%.", "restored=90 !affected=90"),
    (
        "90 percent of customers are affected.",
        "affected=90 !restored=90",
    ),
    ("99.9% of requests are now succeeding.", "restored=99.9"),
    ("2 of 5 data centres are back online.", "restored=40"),
    (
        "7 serveurs sur 10 sont de nouveau accessibles.",
        "restored=70",
    ),
    ("Our error budget is at 40 %.", "!restored=40 !affected=40"),
    (
        "-15 % sur l'hébergement mutualisé.",
        "!restored=15 !affected=15",
    ),
    (
        "60 % des appels au support concernent la messagerie.",
        "!restored=60 !affected=60",
    ),
    // A percentage in a post of no incident is no share of service (the learnt share reader
    // read these as restored or affected before session 25).
    (
        "Fibre rollout progress: 73% of homes in Kilkenny can now order Gigabit.",
        "!restored=73 !affected=73",
    ),
    (
        "Only about 5% of the domains we manage are DNSSEC-signed.",
        "!restored=5 !affected=5",
    ),
    (
        "Season 3 recap: 2.4M matches played, 51% of them on console.",
        "!restored=51 !affected=51",
    ),
    // Restored, not affected, though the share is "of the affected" ones.
    (
        "We have restored 80% of the affected servers.",
        "restored=80 !affected=80",
    ),
    (
        "Rétablis : 80 % des sites affectés.",
        "lang=fr restored=80 !affected=80",
    ),
    // Times: named zones, the provider's zone otherwise, named days (ahead in a notice).
    (
        "The issue was identified at 11:30 UTC.",
        "identified@11-27T11:30",
    ),
    (
        "We are investigating elevated errors since 09:45 CET.",
        "investigating@11-27T08:45",
    ),
    (
        "Resolved on Nov 24, 11:30 UTC: the network is back.",
        "resolved@11-24T11:30",
    ),
    (
        "Scheduled maintenance on Nov 30 from 02:00 to 04:00 UTC.",
        "maintenance_scheduled@11-30T02:00",
    ),
    (
        "Maintenance programmée le 30 novembre de 2h à 4h.",
        "lang=fr maintenance_scheduled@11-30T02:00",
    ),
    // A planned time without a date is the next one (the post is of 06:00 UTC).
    (
        "Scheduled maintenance from 02:00 to 04:00 UTC.",
        "maintenance_scheduled@11-29T02:00",
    ),
    (
        "Scheduled maintenance tonight 22:00-23:00 UTC on the control panel.",
        "maintenance_scheduled@11-28T22:00",
    ),
    // The date after the time, the day before the month, a range's zone on its start.
    (
        "We will be undergoing maintenance from 16:30 UTC on Monday, Nov 30 to 18:00 UTC.",
        "maintenance_scheduled@11-30T16:30",
    ),
    (
        "A planned maintenance from 1 December 2026 at 21:00 PST until 23:00 PST.",
        "maintenance_scheduled@12-02T05:00",
    ),
    (
        "Between 3:00 - 3:30 pm PST, there will be a network maintenance.",
        "maintenance_scheduled@11-28T23:00",
    ),
];

#[test]
fn the_wording_the_issue_names_reads_as_it_should_with_the_language_detected_and_the_model_on() {
    let x = Extractor::bundled().expect("the bundled rules");
    let mut wrong = Vec::new();
    for &(text, expect) in CASES {
        let got = reading(&x, text);
        for want in expect.split_whitespace() {
            let ok = match want.strip_prefix('!') {
                Some(absent) => !got.iter().any(|t| t == absent),
                None => got.iter().any(|t| t == want),
            };
            if !ok {
                wrong.push(format!("{text:?}: wants {want}, read {}", got.join(" ")));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The same wording in the forms other systems write it: accents decomposed (a letter and a
/// combining mark, as text from some systems and PDFs carries them), and invisible characters
/// (zero-width spaces, soft hyphens, bidirectional marks) inside words.
const REWRITTEN: &[(&str, &str)] = &[
    (
        "Le service est re\u{301}tabli pour l'ensemble des clients.",
        "Le service est rétabli pour l'ensemble des clients.",
    ),
    (
        "Retour a\u{300} la normale a\u{300} 90\u{a0}% vers 12h30.",
        "Retour à la normale à 90\u{a0}% vers 12h30.",
    ),
    ("Incident\u{200b} clos.", "Incident clos."),
    (
        "Nous constatons un incident sur l'he\u{301}\u{ad}bergement mutualise\u{301}.",
        "Nous constatons un incident sur l'hébergement mutualisé.",
    ),
    (
        "The incident has been re\u{200b}solved.",
        "The incident has been resolved.",
    ),
    (
        "\u{200e}We are investigating elevated error rates\u{200f}.",
        "We are investigating elevated error rates.",
    ),
];

#[test]
fn decomposed_accents_and_invisible_characters_read_as_the_plain_wording_with_spans_in_the_post() {
    let x = Extractor::bundled().expect("the bundled rules");
    let ctx = ExtractContext {
        lang: None,
        tz: chrono_tz::Europe::Paris,
        reference: "2026-11-28T06:00:00Z".parse().expect("a time"),
    };
    for &(written, plain) in REWRITTEN {
        assert_eq!(reading(&x, written), reading(&x, plain), "{written:?}");
        let (_, statements) = x.read(written, &ctx);
        assert!(!statements.is_empty(), "{written:?}");
        for s in statements {
            assert_eq!(&written[s.span.0..s.span.1], s.matched, "{written:?}");
        }
    }
}
