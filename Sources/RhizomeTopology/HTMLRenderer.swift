import Foundation

/// One self-contained HTML page: an interactive tree of the hops (collapse, search, hover),
/// a side panel with every fact of the picked node, and summaries of the report and probe.
///
/// The page loads nothing: its style sheet and script are inline, it uses the system's fonts,
/// and its Content-Security-Policy forbids every fetch. The graph goes in as data, never as
/// markup: the `--format json` document in `<script type="application/json" id="rhizome-graph">`
/// and the words the other formats use (`HTMLWording`) in `id="rhizome-wording"`. The script
/// builds the page from them with `textContent` and `setAttribute` only, so a host name is
/// never parsed as HTML. Each node becomes one `<li>` with `data-id`, and each host also
/// `data-host` set to its name.
extension TopologyGraph {
    public func renderHTML(title: String = "rhizome topology") -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding plain structs of strings and numbers cannot fail.
        let wording = (try? encoder.encode(HTMLWording(self))).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return """
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta http-equiv="Content-Security-Policy" content="\(HTMLText.contentSecurityPolicy)">
            <meta name="generator" content="rhizome topology">
            <title>\(HTMLText.escape(title))</title>
            <style>
            \(HTMLAssets.style)</style>
            </head>
            <body>
            <header>
              <h1 id="title">\(HTMLText.escape(title))</h1>
              <div class="controls">
                <input type="search" id="search" placeholder="Search host or group  ( / )" aria-label="Search host or group" autocomplete="off" spellcheck="false">
                <span id="match-count" aria-live="polite"></span>
                <button type="button" id="expand-all">Expand all</button>
                <button type="button" id="collapse-all">Collapse all</button>
              </div>
            </header>
            <main>
              <div class="left">
                <div id="summary"></div>
                <div id="tree-pane"><div id="tree-facts"></div><ul id="tree" class="tree" role="tree" aria-label="Hops and hosts"></ul><div id="legend"></div></div>
              </div>
              <aside>
                <section id="details" aria-live="polite"><p class="hint">Click a host to see all its facts.</p></section>
              </aside>
            </main>
            <noscript><p class="hint">This page draws the tree with JavaScript. <code>rhizome topology --format tree</code> prints the same tree as text.</p></noscript>
            <script type="application/json" id="rhizome-graph">
            \(HTMLText.scriptData(renderJSON(pretty: false)))</script>
            <script type="application/json" id="rhizome-wording">
            \(HTMLText.scriptData(wording))
            </script>
            <script>
            \(HTMLAssets.script)</script>
            </body>
            </html>

            """
    }
}

/// Text made safe for an HTML page.
enum HTMLText {
    /// Nothing may be fetched; only the page's own inline style and script run.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"

    /// Character data and attribute values: XML's escaping is HTML's too.
    static func escape(_ text: String) -> String {
        SVGText.escape(text)
    }

    /// JSON to put inside a `<script>` element. `<`, `>` and `&` become `\u003c`, `\u003e` and
    /// `\u0026`, so no `</script>` or `<!--` can end or change the element, and U+2028 and U+2029
    /// are escaped too. JSON has these characters only inside strings, where the escapes mean the same.
    static func scriptData(_ json: String) -> String {
        var out = ""
        out.reserveCapacity(json.utf8.count)
        for scalar in json.unicodeScalars {
            switch scalar {
            case "<": out += "\\u003c"
            case ">": out += "\\u003e"
            case "&": out += "\\u0026"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
