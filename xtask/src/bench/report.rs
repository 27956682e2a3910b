//! `docs/benchmarks.md`: the budget table, every figure with its spread, the method, the start-up profile, the
//! other benchmarks of the workspace, and the hand-written reading (docs/benchmarks/analysis.md) when present.

use std::fmt::Write as _;

use super::Results;
use super::chart::Bar;
use super::http::Tool;
use super::stats::Summary;
use crate::sh;

/// One line of the budget table.
#[derive(Debug)]
struct Goal {
    name: &'static str,
    balcao: String,
    reference: String,
    ratio: String,
    goal: &'static str,
    /// Share of the budget used (≤ 1 met); NaN when not measured.
    used: f64,
    chart_note: String,
}

fn med(v: &[f64]) -> Option<Summary> {
    Summary::of(v)
}

/// Ratios of runs measured next to each other (repetition i of A over repetition i of B): robust to load that
/// drifts during the run, so shown beside the ratio of the medians.
fn paired(a: &[f64], b: &[f64]) -> Option<Summary> {
    Summary::of(&a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<_>>())
}

fn goals(r: &Results) -> Vec<Goal> {
    let mut g = Vec::new();
    let na = |name, goal| Goal {
        name,
        balcao: "not measured".into(),
        reference: "—".into(),
        ratio: "—".into(),
        goal,
        used: f64::NAN,
        chart_note: "not measured".into(),
    };
    let s = r.startup.as_ref();
    let pair = |f: &dyn Fn(&super::apps::Launch) -> f64| {
        s.and_then(|s| {
            let b: Vec<f64> = s.balcao.iter().map(f).collect();
            let h: Vec<f64> = s.hello.iter().map(f).collect();
            Some((med(&b)?, med(&h)?, paired(&b, &h)?))
        })
    };
    match pair(&|l| l.spawn_to_ready_ms) {
        Some((b, h, p)) => {
            let ratio = b.median / h.median;
            g.push(Goal {
                name: "Cold start → input focused and ready",
                balcao: format!("{:.0} ms", b.median),
                reference: format!("hello {:.0} ms", h.median),
                ratio: format!("{ratio:.2}× (paired {:.2}×)", p.median),
                goal: "≤ 1.2× hello",
                used: ratio / 1.2,
                chart_note: format!("{ratio:.2}× hello (goal ≤ 1.2×)"),
            });
        }
        None => g.push(na("Cold start → input focused and ready", "≤ 1.2× hello")),
    }
    for (name, f, kind) in [
        (
            "Memory after 5 s idle, PSS of the process tree",
            (|l: &super::apps::Launch| l.pss_kb as f64) as fn(&_) -> f64,
            "PSS",
        ),
        ("Memory after 5 s idle, RSS of the process tree", |l: &super::apps::Launch| l.rss_kb as f64, "RSS"),
    ] {
        match pair(&f) {
            Some((b, h, p)) => {
                let ratio = b.median / h.median;
                g.push(Goal {
                    name,
                    balcao: format!("{:.1} MiB", b.median / 1024.0),
                    reference: format!("hello {:.1} MiB", h.median / 1024.0),
                    ratio: format!("{ratio:.2}× (paired {:.2}×)", p.median),
                    goal: "≤ 1.2× hello",
                    used: ratio / 1.2,
                    chart_note: format!("{kind} {ratio:.2}× hello (goal ≤ 1.2×)"),
                });
            }
            None => g.push(na(name, "≤ 1.2× hello")),
        }
    }
    let paint = r.paint.as_ref().and_then(|p| med(&p.runs.iter().map(|x| x.response_to_paint()).collect::<Vec<_>>()));
    match paint {
        Some(p) => g.push(Goal {
            name: "Response received → verdict painted",
            balcao: format!("{:.1} ms", p.median),
            reference: "—".into(),
            ratio: "—".into(),
            goal: "< 50 ms",
            used: p.median / 50.0,
            chart_note: format!("{:.1} ms (goal < 50 ms)", p.median),
        }),
        None => g.push(na("Response received → verdict painted", "< 50 ms")),
    }
    for c in [1usize, 4] {
        let name = if c == 1 { "HTTP lookups/s vs wrk, concurrency 1" } else { "HTTP lookups/s vs wrk, concurrency 4" };
        let m = r.http.as_ref().and_then(|h| {
            let (cl, wr) = (h.of(Tool::Client, c), h.of(Tool::Wrk, c));
            Some((med(&cl)?, med(&wr)?, paired(&cl, &wr)?))
        });
        match m {
            Some((client, wrk, p)) => {
                let ratio = client.median / wrk.median;
                g.push(Goal {
                    name,
                    balcao: format!("{:.0}/s", client.median),
                    reference: format!("wrk {:.0}/s", wrk.median),
                    ratio: format!("{ratio:.2}× (paired {:.2}×)", p.median),
                    goal: "≥ 0.8× wrk",
                    used: 0.8 / ratio,
                    chart_note: format!("c={c}: {ratio:.2}× wrk (goal ≥ 0.8×)"),
                });
            }
            None => g.push(na(name, "≥ 0.8× wrk")),
        }
    }
    if let Some(h) = &r.http
        && let (Some(client), Some(wrk)) = (med(&h.of(Tool::Client, 1)), med(&h.of(Tool::Wrk, 1)))
    {
        let over = 1e6 / client.median - 1e6 / wrk.median;
        g.push(Goal {
            name: "Per-lookup overhead at concurrency 1 (client − wrk)",
            balcao: format!("{:.0} µs/lookup", 1e6 / client.median),
            reference: format!("wrk {:.0} µs/request", 1e6 / wrk.median),
            ratio: format!("+{over:.0} µs"),
            goal: "reported",
            used: f64::NAN,
            chart_note: String::new(),
        });
    }
    g.push(Goal {
        name: "Token requests for 100 concurrent cold lookups",
        balcao: match (&r.tokens, r.errors.iter().any(|(s, _)| s == "tokens")) {
            (Some(_), _) => "1 (test passed)".into(),
            (None, true) => "test failed".into(),
            (None, false) => "not measured".into(),
        },
        reference: "—".into(),
        ratio: "—".into(),
        goal: "exactly 1",
        used: if r.tokens.is_some() { 1.0 } else { f64::NAN },
        chart_note: String::new(),
    });
    let sz = r.sizes.as_ref();
    match sz.and_then(|s| s.deb.as_ref()) {
        Some((_, n)) => {
            let mb = *n as f64 / 1e6;
            g.push(Goal {
                name: ".deb package",
                balcao: format!("{mb:.2} MB"),
                reference: "—".into(),
                ratio: "—".into(),
                goal: "≤ 12 MB",
                used: mb / 12.0,
                chart_note: format!("{mb:.2} MB (goal ≤ 12 MB)"),
            });
        }
        None => g.push(Goal {
            name: ".deb package",
            balcao: "no .deb built in this tree (`cargo xtask bundle`)".into(),
            reference: "—".into(),
            ratio: "—".into(),
            goal: "≤ 12 MB",
            used: f64::NAN,
            chart_note: "no .deb found".into(),
        }),
    }
    match sz {
        Some(s) => {
            let kb = s.js_gz_total() as f64 / 1024.0;
            g.push(Goal {
                name: "UI JavaScript, gzip -9 (all chunks)",
                balcao: format!("{kb:.1} KB"),
                reference: format!("first paint loads {:.1} KB", s.js_gz_first_paint() as f64 / 1024.0),
                ratio: "—".into(),
                goal: "≤ 150 KB",
                used: kb / 150.0,
                chart_note: format!("{kb:.1} KB (goal ≤ 150 KB)"),
            });
            g.push(Goal {
                name: "Release binary (stripped)",
                balcao: format!("{:.2} MB", s.balcao_bin as f64 / 1e6),
                reference: format!("hello {:.2} MB", s.hello_bin as f64 / 1e6),
                ratio: format!("{:.2}×", s.balcao_bin as f64 / s.hello_bin as f64),
                goal: "reported",
                used: f64::NAN,
                chart_note: String::new(),
            });
        }
        None => g.push(na("UI JavaScript, gzip -9 (all chunks)", "≤ 150 KB")),
    }
    g
}

/// The chart's bars: every goal that has a budget.
pub fn bars(r: &Results) -> Vec<Bar> {
    goals(r)
        .into_iter()
        .filter(|g| g.goal != "reported" && g.goal != "exactly 1")
        .map(|g| Bar { label: short(g.name).into(), used: g.used, note: g.chart_note })
        .collect()
}

fn short(name: &str) -> &str {
    match name {
        "Cold start → input focused and ready" => "cold start",
        "Memory after 5 s idle, PSS of the process tree" => "memory (PSS)",
        "Memory after 5 s idle, RSS of the process tree" => "memory (RSS)",
        "Response received → verdict painted" => "response → painted",
        "HTTP lookups/s vs wrk, concurrency 1" => "HTTP throughput c=1",
        "HTTP lookups/s vs wrk, concurrency 4" => "HTTP throughput c=4",
        ".deb package" => ".deb size",
        "UI JavaScript, gzip -9 (all chunks)" => "UI JS gzip",
        other => other,
    }
}

fn verdict(g: &Goal) -> &'static str {
    if g.goal == "reported" {
        "—"
    } else if g.used.is_nan() {
        "not measured"
    } else if g.used <= 1.0 {
        "met"
    } else {
        "**not met**"
    }
}

pub fn markdown(r: &Results, chart: &str) -> String {
    let mut m = String::new();
    let w = &mut m;
    let _ = writeln!(w, "# Performance budget\n");
    let _ = writeln!(
        w,
        "Generated by `cargo xtask bench` (xtask/src/bench.rs) on **{}**. Every figure below comes from that one run; \
         the reading at the end (`docs/benchmarks/analysis.md`) is written by hand.\n",
        r.date
    );
    let _ = writeln!(w, "| machine | |\n|---|---|");
    for (k, v) in &r.machine {
        let _ = writeln!(w, "| {k} | {v} |");
    }
    let loads: Vec<String> = r.loads.iter().map(|(s, l)| format!("{s}: {l}")).collect();
    let _ = writeln!(
        w,
        "| load average (1/5/15 min) at each stage | {} |\n\nThe machine is shared with other engineers' builds and tests, so \
         runs alternate A/B, repeat, and report medians with (min–max, n).\n",
        loads.join("; ")
    );
    let _ = writeln!(w, "```\nexport CARGO_TARGET_DIR=/var/tmp/balcao-target\ncargo xtask bench\n```\n");
    if !r.errors.is_empty() || !r.skipped.is_empty() {
        let _ = writeln!(w, "> **Incomplete run.**");
        for (s, e) in &r.errors {
            let _ = writeln!(w, "> - stage `{s}` failed: {}", e.lines().next().unwrap_or(""));
        }
        for s in &r.skipped {
            let _ = writeln!(w, "> - stage `{s}` not run (BALCAO_BENCH_ONLY)");
        }
        let _ = writeln!(w);
    }

    let _ = writeln!(w, "## Budget\n\n| measure | Balcão | reference | ratio | goal | |\n|---|---|---|---|---|---|");
    for g in goals(r) {
        let _ =
            writeln!(w, "| {} | {} | {} | {} | {} | {} |", g.name, g.balcao, g.reference, g.ratio, g.goal, verdict(&g));
    }
    let _ = writeln!(w, "\n![share of each budget used]({chart})\n");

    startup_section(w, r);
    paint_section(w, r);
    http_section(w, r);
    tokens_section(w, r);
    sizes_section(w, r);
    profile_section(w, r);
    criterion_section(w, r);

    if let Ok(text) = std::fs::read_to_string(sh::root().join("docs/benchmarks/analysis.md")) {
        let _ = writeln!(w, "{}", demote(&text));
    }
    for (file, what) in [
        ("docs/benchmarks-history.md", "History store (merged from docs/benchmarks-history.md, measured separately)"),
        ("docs/benchmarks-batch.md", "Batch lookups (merged from docs/benchmarks-batch.md, measured separately)"),
    ] {
        if let Ok(text) = std::fs::read_to_string(sh::root().join(file)) {
            let body = text.lines().skip_while(|l| !l.starts_with('#')).skip(1).collect::<Vec<_>>().join("\n");
            let _ = writeln!(w, "## {what}\n{}\n", demote(&body));
        }
    }
    m
}

/// Pushes every Markdown heading one level down (the merged documents become sections).
fn demote(text: &str) -> String {
    let mut in_code = false;
    text.lines()
        .map(|l| {
            if l.starts_with("```") {
                in_code = !in_code;
            }
            if !in_code && l.starts_with('#') { format!("#{l}") } else { l.to_owned() }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn startup_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Start-up and memory\n");
    let Some(s) = &r.startup else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "Both release binaries (`--features custom-protocol`, workspace release profile) are launched in turn inside \
         the xtask sandbox (Xvfb, private D-Bus, unlocked gnome-keyring, temporary HOME; Balcão in Demonstração with \
         `BALCAO_DATA_DIR` and `BALCAO_KEYRING_SERVICE` redirected), one unmeasured warm-up launch each, then {} \
         launches each alternating hello/Balcão, Balcão/hello, … The page cache is warm (a restart, not a reboot). \
         **Start-up** is the wall time from `spawn()` to the `BALCAO_UI_READY_MS=` line read from the app's stderr: \
         the page calls `ui_ready` once its lookup input is focused. **Memory** is the sum of RSS and PSS \
         (`/proc/PID/smaps_rollup`) over the app's process tree (main process, WebKitWebProcess, \
         WebKitNetworkProcess) after {} s idle past ready.\n",
        s.balcao.len(),
        s.idle.as_secs()
    );
    let _ = writeln!(
        w,
        "| | hello (floor) | Balcão | ratio of medians | paired ratios (launch i of each, back to back) |\n|---|---|---|---|---|"
    );
    type F = fn(&super::apps::Launch) -> f64;
    let rows: [(&str, F, f64, usize); 6] = [
        ("spawn → ready (ms)", |l| l.spawn_to_ready_ms, 1.0, 0),
        ("CPU time of the process tree at ready (ms, user + system)", |l| l.cpu_to_ready_ms, 1.0, 0),
        ("  of which spawn → page navigation start (ms)", |l| l.native_ms(), 1.0, 0),
        ("  of which page navigation start → ready, `performance.now()` (ms)", |l| l.page_ready_ms, 1.0, 0),
        ("PSS after idle (MiB)", |l| l.pss_kb as f64, 1024.0, 1),
        ("RSS after idle (MiB)", |l| l.rss_kb as f64, 1024.0, 1),
    ];
    for (label, f, div, digits) in rows {
        let h: Vec<f64> = s.hello.iter().map(|l| f(l) / div).collect();
        let b: Vec<f64> = s.balcao.iter().map(|l| f(l) / div).collect();
        if let (Some(hs), Some(bs), Some(p)) = (Summary::of(&h), Summary::of(&b), paired(&b, &h)) {
            let _ = writeln!(
                w,
                "| {label} | {} | {} | {:.2}× | {} |",
                hs.show(digits),
                bs.show(digits),
                bs.median / hs.median,
                p.show(2)
            );
        }
    }
    let _ = writeln!(w, "\nEvery launch, in order (ms to ready / PSS MiB):\n");
    let fmt = |v: &[super::apps::Launch]| {
        v.iter()
            .map(|l| format!("{:.0}/{:.1}", l.spawn_to_ready_ms, l.pss_kb as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(w, "- hello: {}\n- Balcão: {}\n", fmt(&s.hello), fmt(&s.balcao));
    for (name, runs) in [("hello", &s.hello), ("Balcão", &s.balcao)] {
        let mut sorted: Vec<&super::apps::Launch> = runs.iter().collect();
        sorted.sort_by_key(|l| l.pss_kb);
        if let Some(mid) = sorted.get(sorted.len() / 2) {
            let procs: Vec<String> = mid
                .procs
                .iter()
                .map(|p| {
                    format!("{} PSS {:.1} / RSS {:.1} MiB", p.name, p.pss_kb as f64 / 1024.0, p.rss_kb as f64 / 1024.0)
                })
                .collect();
            let _ = writeln!(w, "- {name}, median-PSS launch by process: {}", procs.join("; "));
        }
    }
    let _ = writeln!(w);
}

fn paint_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Response received → verdict painted\n");
    let Some(p) = &r.paint else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "The release app runs under tauri-driver/WebKitWebDriver in the same sandbox, driven by \
         `tests/e2e/bench/paint.mjs` on the e2e tests' WebdriverIO harness, which instruments the page from outside (no change to the app): it wraps `window.fetch` to stamp when the `lookup` IPC answer \
         reaches the page, and a MutationObserver stamps when the verdict enters the DOM, then schedules \
         `requestAnimationFrame` and a task posted from it, which runs after that frame's rendering update: \
         **painted**. **Response received** is the embedded simulator's log time of the API request (`GET \
         /__sim/requests`, `at`), taken as the request arrives, so the figure overstates the interval by the \
         simulator's own answer time. Both clocks are the machine's wall clock. {} warm-up lookups (token, first \
         history write), then {} measured lookups of SERPRO trial CPFs through the Demonstração profile (Consulta \
         CPF v2), 0.8 s apart.\n",
        p.warmup,
        p.runs.len()
    );
    let col = |f: fn(&super::paint::PaintRun) -> f64| Summary::of(&p.runs.iter().map(f).collect::<Vec<_>>());
    let _ = writeln!(w, "| interval | median (min–max, n) ms |\n|---|---|");
    for (label, f) in [
        ("**response received → verdict painted**", super::paint::PaintRun::response_to_paint as fn(&_) -> f64),
        (
            "  response → IPC answer in the page (app: parse, history write, serialize)",
            super::paint::PaintRun::response_to_ipc,
        ),
        ("  IPC answer → verdict painted (page: JSON, Svelte, layout, paint)", super::paint::PaintRun::ipc_to_paint),
        ("  of which IPC answer → verdict in the DOM", |x: &super::paint::PaintRun| x.dom - x.ipc_response),
        ("  of which DOM → next animation frame starts", |x: &super::paint::PaintRun| x.frame - x.dom),
        ("  of which animation frame → its rendering done", |x: &super::paint::PaintRun| x.painted - x.frame),
        ("Enter → verdict painted (whole lookup, simulated gateway)", super::paint::PaintRun::trigger_to_paint),
    ] {
        if let Some(s) = col(f) {
            let _ = writeln!(w, "| {label} | {} |", s.show(1));
        }
    }
    let all: Vec<String> = p.runs.iter().map(|x| format!("{:.1}", x.response_to_paint())).collect();
    let _ = writeln!(w, "\nEvery measured lookup (response → painted, ms): {}\n", all.join(", "));
    if !p.timeline.is_empty() {
        let t: Vec<String> = p.timeline.iter().map(|(k, v)| format!("{k} {v:.0}")).collect();
        let _ = writeln!(
            w,
            "Page timeline of that (WebDriver-launched) window, ms since navigation start: {}.\n",
            t.join(", ")
        );
    }
}

fn http_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## HTTP: client throughput and overhead\n");
    let Some(h) = &r.http else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(
        w,
        "The simulator runs standalone (`balcao-cli sim`, release) in its own process. Same endpoint for all: \
         `GET {}` with the SERPRO trial bearer and `Accept: application/json` (no token call). `wrk -t1 -cN -d{}s`; \
         `GovClient::lookup_cpf` (criterion bench `src-tauri/crates/gov/benches/client.rs`, N tokio workers each \
         sending its next lookup when the previous is parsed, as wrk's N connections do; tokio multi-thread runtime \
         as in the app); and a bare reqwest GET of the same URL (the HTTP stack under the client). Alternated each \
         repetition, {} s per run. All three share the machine's 2 cores with the simulator, so the figures are the \
         CPU cost of each load generator as much as the server's speed.\n",
        super::http::PATH,
        h.secs,
        h.secs
    );
    let _ = writeln!(
        w,
        "| concurrency | wrk (req/s) | GovClient (lookups/s) | bare reqwest (req/s) | client ÷ wrk | paired client ÷ wrk \
         | bare reqwest ÷ wrk | client µs/lookup − wrk µs/request |\n|---|---|---|---|---|---|---|---|"
    );
    for &c in &h.concurrencies {
        let s = |t| Summary::of(&h.of(t, c));
        let p = paired(&h.of(Tool::Client, c), &h.of(Tool::Wrk, c));
        if let (Some(wr), Some(cl), Some(rq), Some(p)) = (s(Tool::Wrk), s(Tool::Client), s(Tool::Reqwest), p) {
            let _ = writeln!(
                w,
                "| {c} | {} | {} | {} | {:.2}× | {} | {:.2}× | {:+.0} µs |",
                wr.show(0),
                cl.show(0),
                rq.show(0),
                cl.median / wr.median,
                p.show(2),
                rq.median / wr.median,
                1e6 / cl.median - 1e6 / wr.median
            );
        }
    }
    let _ = writeln!(w);
}

fn tokens_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Token economy\n");
    match &r.tokens {
        Some(line) => {
            let _ = writeln!(
                w,
                "100 concurrent lookups on a cold token cache make exactly **one** token request (SERPRO and Conecta), \
                 asserted against the simulator's request log by the test `src-tauri/crates/gov/tests/tokens.rs`, run \
                 in this bench: {line}\n"
            );
        }
        None => {
            let _ = writeln!(w, "The token test did not pass or was not run.\n");
        }
    }
}

fn sizes_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Sizes\n");
    let Some(s) = &r.sizes else {
        let _ = writeln!(w, "Not measured in this run.\n");
        return;
    };
    let _ = writeln!(w, "| artefact | size |\n|---|---|");
    let _ = writeln!(
        w,
        "| `balcao` release binary (stripped, thin LTO, UI embedded) | {:.2} MB |",
        s.balcao_bin as f64 / 1e6
    );
    let _ = writeln!(w, "| `hello-bench` release binary (same profile) | {:.2} MB |", s.hello_bin as f64 / 1e6);
    match &s.deb {
        Some((p, n)) => {
            let _ = writeln!(w, "| `.deb` ({}) | {:.2} MB |", super::shown(p), *n as f64 / 1e6);
        }
        None => {
            let _ = writeln!(
                w,
                "| `.deb` | not found: no `cargo xtask bundle` output in this tree at the time of the run |"
            );
        }
    }
    let _ = writeln!(w, "| UI JavaScript, gzip -9, all chunks | {:.1} KB |", s.js_gz_total() as f64 / 1024.0);
    let _ = writeln!(
        w,
        "| UI JavaScript, gzip -9, loaded by index.html (first paint) | {:.1} KB |",
        s.js_gz_first_paint() as f64 / 1024.0
    );
    let _ = writeln!(w, "| UI CSS, gzip -9, first paint | {:.1} KB |\n", s.css_gz as f64 / 1024.0);
    let _ = writeln!(w, "| JS chunk | raw | gzip | at first paint |\n|---|---|---|---|");
    for (name, raw, gz, first) in &s.js {
        let _ = writeln!(
            w,
            "| {name} | {:.1} KB | {:.1} KB | {} |",
            *raw as f64 / 1024.0,
            *gz as f64 / 1024.0,
            if *first { "yes" } else { "lazy" }
        );
    }
    let _ = writeln!(w);
}

fn profile_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Where start-up time goes (profile)\n");
    if r.profiles.is_empty() {
        let _ = writeln!(w, "No profile in this run.\n");
        return;
    }
    let _ = writeln!(
        w,
        "`perf record -e cpu-clock -F 2000` of one launch of each app, every process of the tree followed, from \
         spawn until the ready line (the app is stopped right then). CPU is summed over both cores, so it can \
         exceed the wall time. The binaries are stripped: Balcão's own code shows as the `balcao` object.\n"
    );
    for p in &r.profiles {
        let _ = writeln!(
            w,
            "### {}: ready after {:.0} ms under perf, {:.0} ms CPU sampled\n\nRaw data: `{}` (`perf report -i` it).\n",
            p.app,
            p.wall_ms,
            p.cpu_ms,
            super::shown(&p.data)
        );
        let table = |w: &mut String, title: &str, rows: &[(String, f64)]| {
            let _ = writeln!(w, "| {title} | share of CPU | ≈ ms |\n|---|---|---|");
            for (name, pct) in rows.iter().take(12) {
                let _ = writeln!(w, "| {} | {pct:.1} % | {:.0} |", name.replace('|', "\\|"), pct / 100.0 * p.cpu_ms);
            }
            let _ = writeln!(w);
        };
        table(w, "thread (comm)", &p.by_thread);
        table(w, "library (dso)", &p.by_library);
        if !p.main_thread.is_empty() {
            let _ = writeln!(
                w,
                "Threads named after the binary (the main thread and unnamed helpers): hottest library/symbol, share of \
                 all samples:\n"
            );
            table(w, "library, symbol", &p.main_thread);
        }
    }
}

fn criterion_section(w: &mut String, r: &Results) {
    let _ = writeln!(w, "## Other criterion benchmarks of the workspace (this run)\n");
    if r.criterion.is_empty() {
        let _ = writeln!(w, "Not run.\n");
        return;
    }
    let _ = writeln!(
        w,
        "`cargo bench -p balcao-sim --bench start`, `-p balcao-history --bench history` and `-p balcao-batch --bench \
         throughput` with `BALCAO_BENCH_ROWS={}` (a smaller history than the 1M-row \
         reference run merged below). Median time per iteration, 95 % interval of the median.\n\n| bench | median | interval |\n|---|---|---|",
        r.history_rows
    );
    for (id, m, lo, hi) in &r.criterion {
        let _ = writeln!(w, "| {id} | {} | {} – {} |", dur(*m), dur(*lo), dur(*hi));
    }
    let _ = writeln!(w);
}

fn dur(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.1} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_run_reports_every_goal_as_not_measured_and_demotes_merged_headings() {
        let r = Results::default();
        let text = markdown(&r, "benchmarks/budget.svg");
        assert!(text.contains("| Cold start → input focused and ready | not measured |"));
        assert!(text.contains("| Response received → verdict painted | not measured |"));
        assert!(!text.contains("| met |"));
        assert_eq!(bars(&r).len(), 8);
        assert_eq!(demote("# A\n```\n# not a heading\n```\n## B"), "## A\n```\n# not a heading\n```\n### B");
        assert_eq!(dur(1_500_000.0), "1.50 ms");
    }
}
