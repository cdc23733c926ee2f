//! `report`: one self-contained HTML page (no network, no external file):
//! stories by size with a timeline of their articles by outlet, their copy
//! groups, the passages each copy shares with its representative
//! highlighted, and a search box.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::io::Write;

use storyhash::{Article, Clusterer, Clustering, CopyGroup, Day};

use crate::args::ReportArgs;
use crate::input;
use crate::output::{date_span, first_words, score_label, Bars};
use crate::Failure;

/// Words of an excerpt shown per article.
const EXCERPT_WORDS: usize = 250;
/// Words per shingle when marking shared passages (the copy tier's width).
const SHINGLE: usize = 5;

pub(crate) fn run(a: &ReportArgs) -> Result<(), Failure> {
    let clusterer = Clusterer::new(a.tune.config())?;
    let (articles, _) = input::read(&a.input.inputs, &a.input.fields.read_options(), false)?;
    let bars = Bars::new(false);
    let result = clusterer.cluster_with(&articles, &bars)?;
    bars.finish();
    let terms = clusterer.story_terms(&articles, &result, 6);
    let html = page(&a.title, &articles, &result, &terms);
    let mut file =
        std::fs::File::create(&a.output).map_err(|e| format!("{}: {e}", a.output.display()))?;
    file.write_all(html.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| format!("{}: {e}", a.output.display()))?;
    eprintln!(
        "storyhash: {} articles, {} stories -> {}",
        articles.len(),
        result.stories().count(),
        a.output.display()
    );
    Ok(())
}

/// `s` with `&`, `<`, `>` and quotes escaped.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A word as compared: lower-case letters and digits only.
fn norm(w: &str) -> String {
    w.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The first words of `text`, HTML-escaped, with the words of every run of
/// [`SHINGLE`] words that `reference` also has marked.
fn marked_excerpt(text: &str, reference: Option<&str>) -> String {
    let words: Vec<&str> = text.split_whitespace().take(EXCERPT_WORDS).collect();
    let mut mark = vec![false; words.len()];
    if let Some(r) = reference {
        let rw: Vec<String> = r
            .split_whitespace()
            .map(norm)
            .filter(|w| !w.is_empty())
            .collect();
        let shingles: HashSet<&[String]> = rw.windows(SHINGLE).collect();
        let normed: Vec<(usize, String)> = words
            .iter()
            .enumerate()
            .map(|(i, w)| (i, norm(w)))
            .filter(|(_, w)| !w.is_empty())
            .collect();
        let keys: Vec<String> = normed.iter().map(|e| e.1.clone()).collect();
        for (start, window) in keys.windows(SHINGLE).enumerate() {
            if shingles.contains(window) {
                for e in &normed[start..start + SHINGLE] {
                    mark[e.0] = true;
                }
            }
        }
    }
    let mut out = String::new();
    let mut open = false;
    for (w, &m) in words.iter().zip(&mark) {
        if m != open {
            out.push_str(if m { "<mark>" } else { "</mark>" });
            open = m;
        }
        out.push_str(&esc(w));
        out.push(' ');
    }
    if open {
        out.push_str("</mark>");
    }
    if text.split_whitespace().nth(EXCERPT_WORDS).is_some() {
        out.push_str("&hellip;");
    }
    out
}

/// A timeline of a story's dated articles: one row per outlet, one dot per
/// article, coloured by copy group.
fn timeline(articles: &[Article], groups: &[&CopyGroup]) -> String {
    let mut dots: Vec<(Day, &str, usize, &str)> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        for m in group.members() {
            let a = &articles[m.index];
            if let Ok(Some(day)) = a.day() {
                dots.push((day, a.source.as_deref().unwrap_or("-"), g, &a.id));
            }
        }
    }
    if dots.is_empty() {
        return String::new();
    }
    let first = dots.iter().map(|d| d.0).min().expect("dots").days();
    let last = dots.iter().map(|d| d.0).max().expect("dots").days();
    let outlets: BTreeMap<&str, usize> = {
        let mut names: Vec<&str> = dots.iter().map(|d| d.1).collect();
        names.sort_unstable();
        names.dedup();
        names.into_iter().enumerate().map(|(i, n)| (n, i)).collect()
    };
    let (width, row, left) = (640.0, 16.0, 150.0);
    let span = f64::from((last - first).max(1));
    let height = row * outlets.len() as f64 + 22.0;
    let mut svg = format!(
        "<svg class=timeline viewBox=\"0 0 {} {height}\" width=\"{}\" height=\"{height}\" role=img>",
        width + left + 10.0,
        width + left + 10.0
    );
    for (name, &i) in &outlets {
        let y = row * i as f64 + 12.0;
        let _ = write!(
            svg,
            "<text x=0 y=\"{y}\" class=outlet>{}</text><line x1=\"{left}\" x2=\"{}\" y1=\"{}\" y2=\"{}\" class=lane />",
            esc(&first_words(name, 4)),
            left + width,
            y - 4.0,
            y - 4.0
        );
    }
    for (day, outlet, g, id) in &dots {
        let x = left + width * f64::from(day.days() - first) / span;
        let y = row * outlets[outlet] as f64 + 8.0;
        let _ = write!(
            svg,
            "<circle cx=\"{x:.1}\" cy=\"{y}\" r=5 class=\"g{}\"><title>{} {} ({})</title></circle>",
            g % 8,
            esc(id),
            day,
            esc(outlet)
        );
    }
    let axis = height - 4.0;
    let _ = write!(
        svg,
        "<text x=\"{left}\" y=\"{axis}\" class=axis>{}</text><text x=\"{}\" y=\"{axis}\" class=axis text-anchor=end>{}</text></svg>",
        Day::from_days(first),
        left + width,
        Day::from_days(last)
    );
    svg
}

fn page(title: &str, articles: &[Article], r: &Clustering, terms: &[Vec<String>]) -> String {
    let mut stories: Vec<_> = r.stories().zip(terms).collect();
    stories.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.id().cmp(b.0.id())));
    let multi = r.copy_groups().iter().filter(|g| g.len() > 1).count();
    let mut body = String::new();
    for (n, (story, terms)) in stories.iter().enumerate() {
        let groups: Vec<&CopyGroup> = story.copy_groups().collect();
        let members = || {
            groups
                .iter()
                .flat_map(|g| g.members().iter().map(|m| m.index))
        };
        let search: String = members()
            .flat_map(|i| {
                let a = &articles[i];
                [
                    a.id.as_str(),
                    a.title.as_deref().unwrap_or(""),
                    a.source.as_deref().unwrap_or(""),
                ]
            })
            .chain(terms.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase();
        let _ = write!(
            body,
            "<section class=story id=\"s{n}\" data-search=\"{}\"><h2>{}</h2><p class=meta>{} article{} in {} copy group{} &middot; {} &middot; story <code>{}</code></p>{}",
            esc(&search),
            esc(&terms.join(" · ")),
            story.len(),
            if story.len() == 1 { "" } else { "s" },
            groups.len(),
            if groups.len() == 1 { "" } else { "s" },
            esc(&date_span(articles, members())),
            esc(story.id()),
            timeline(articles, &groups)
        );
        for (g, group) in groups.iter().enumerate() {
            let rep = &articles[group.representative()];
            let similarity = if groups.len() > 1 {
                format!(" &middot; story similarity {:.2}", group.story_similarity())
            } else {
                String::new()
            };
            let _ = write!(
                body,
                "<details class=\"group\"{}><summary><span class=\"dot g{}\"></span>copy group <code>{}</code> &middot; {} article{}{similarity}</summary>",
                if groups.len() <= 3 || group.len() > 1 { " open" } else { "" },
                g % 8,
                esc(group.id()),
                group.len(),
                if group.len() == 1 { "" } else { "s" }
            );
            for m in group.members() {
                let a = &articles[m.index];
                let is_rep = m.index == group.representative();
                let label = a.title.clone().unwrap_or_else(|| first_words(&a.text, 12));
                let date = a
                    .day()
                    .ok()
                    .flatten()
                    .map_or(String::new(), |d| format!(" &middot; {d}"));
                let reference = (!is_rep && group.len() > 1).then_some(rep.text.as_str());
                let _ = write!(
                    body,
                    "<article><h3>{}</h3><p class=meta><code>{}</code> &middot; {}{date} &middot; {}</p><p class=text>{}</p></article>",
                    esc(&label),
                    esc(&m.id),
                    esc(a.source.as_deref().unwrap_or("-")),
                    esc(&score_label(m)),
                    marked_excerpt(&a.text, reference)
                );
            }
            body.push_str("</details>");
        }
        body.push_str("</section>\n");
    }
    format!(
        r#"<!doctype html>
<html lang=en><head><meta charset=utf-8><meta name=viewport content="width=device-width">
<title>{title}</title>
<style>
body{{font:15px/1.45 system-ui,sans-serif;margin:0;color:#1f2328;background:#fff}}
header{{background:#1f2937;color:#f9fafb;padding:14px 24px;position:sticky;top:0;z-index:1}}
header h1{{font-size:20px;margin:0 0 6px}}
#q{{font-size:16px;padding:6px 10px;width:360px;border-radius:6px;border:0}}
#count{{margin-left:12px}}
main{{padding:8px 24px}}
.story{{border-bottom:1px solid #d0d7de;padding:10px 0}}
.story h2{{font-size:18px;margin:4px 0;color:#0b3d91}}
.meta{{color:#57606a;margin:2px 0 6px;font-size:13px}}
.group{{margin:6px 0 6px 12px}}
.group summary{{cursor:pointer;font-weight:600}}
article{{margin:6px 0 10px 22px}}
article h3{{font-size:15px;margin:0}}
.text{{margin:4px 0;max-width:60em}}
mark{{background:#ffd24d;color:#000}}
.timeline{{display:block;margin:4px 0}}
.timeline .outlet,.timeline .axis{{font-size:11px;fill:#57606a}}
.timeline .lane{{stroke:#eaeef2}}
.dot{{display:inline-block;width:10px;height:10px;border-radius:5px;margin-right:6px}}
.g0{{fill:#1f77b4;background:#1f77b4}}.g1{{fill:#d62728;background:#d62728}}.g2{{fill:#2ca02c;background:#2ca02c}}.g3{{fill:#9467bd;background:#9467bd}}
.g4{{fill:#ff7f0e;background:#ff7f0e}}.g5{{fill:#8c564b;background:#8c564b}}.g6{{fill:#e377c2;background:#e377c2}}.g7{{fill:#17becf;background:#17becf}}
</style></head>
<body><header><h1>{title}</h1><input id=q type=search placeholder="Search stories: names, titles, outlets, ids" aria-label=Search><span id=count></span>
<div class=meta style="color:#d0d7de">{n} articles &middot; {groups} copy groups ({multi} with copies) &middot; {stories} stories</div></header>
<main id=stories>
{body}</main>
<script>
(function(){{
  var q=document.getElementById('q'),count=document.getElementById('count');
  var all=Array.prototype.slice.call(document.querySelectorAll('section.story'));
  function run(){{
    var words=q.value.toLowerCase().split(/\s+/).filter(Boolean),shown=0;
    all.forEach(function(s){{
      var t=s.getAttribute('data-search'),ok=words.every(function(w){{return t.indexOf(w)>=0;}});
      s.hidden=!ok; if(ok) shown++;
    }});
    count.textContent=shown+' of '+all.length+' stories';
  }}
  q.addEventListener('input',run);
  var m=/[#&]q=([^&]*)/.exec(location.hash); if(m) q.value=decodeURIComponent(m[1]);
  run();
}})();
</script></body></html>
"#,
        title = esc(title),
        n = articles.len(),
        groups = r.copy_groups().len(),
        stories = stories.len(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_runs_are_marked_and_text_is_escaped() {
        let rep = "one two three four five six seven";
        let copy = "<b>x</b> one two three four five six";
        let out = marked_excerpt(copy, Some(rep));
        assert_eq!(
            out,
            "&lt;b&gt;x&lt;/b&gt; <mark>one two three four five six </mark>"
        );
        assert!(!marked_excerpt("a b c d e f", Some("z y x w v u")).contains("<mark>"));
    }
}
