/// The style sheet and the script of the HTML page (see `renderHTML`). Both are inline
/// and fetch nothing; the fonts are the system's.
enum HTMLAssets {
    /// Nodes with more children than this start collapsed, so that a page of thousands of
    /// hosts opens on its relays. Every host is in the page all the same.
    static let collapseAbove = 40

    static let style = #"""
        :root {
          --ink: #1f2328; --muted: #59636e; --line: #d9dde3; --paper: #ffffff; --ground: #f4f5f7;
          --ok: #1d7a2e; --ok-bg: #dff3e2; --warn: #8f5a00; --warn-bg: #fdf0cf; --bad: #b3261e; --bad-bg: #fbe1de;
          --mark: #b03060; --mark-bg: #fbe3ec; --relay: #dde8f5; --relay-ink: #284b73; --both: #e3efdb; --both-ink: #355a27;
          --pick: #e4edfb; --pick-line: #8eaee0;
          --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
          --mono: ui-monospace, "SFMono-Regular", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace;
          color: var(--ink); background: var(--ground); font: 14px/1.4 var(--sans);
        }
        * { box-sizing: border-box; }
        body { margin: 0; }
        header {
          position: sticky; top: 0; z-index: 2; display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px;
          padding: 10px 16px; background: var(--paper); border-bottom: 1px solid var(--line);
        }
        h1 { margin: 0; font-size: 16px; font-weight: 600; overflow-wrap: anywhere; }
        .controls { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; margin-left: auto; }
        #search { width: 260px; padding: 5px 8px; font: inherit; border: 1px solid #b4bac3; border-radius: 4px; }
        #match-count { min-width: 9em; color: var(--muted); font-size: 13px; }
        button { font: inherit; color: inherit; }
        .controls button { padding: 4px 10px; background: var(--paper); border: 1px solid #b4bac3; border-radius: 4px; cursor: pointer; }
        .controls button:hover { background: var(--ground); }
        main { display: grid; grid-template-columns: minmax(0, 1fr) minmax(300px, 380px); gap: 16px; padding: 16px; align-items: start; }
        @media (max-width: 900px) { main { grid-template-columns: minmax(0, 1fr); } }
        .left { display: flex; flex-direction: column; gap: 16px; min-width: 0; }
        #summary { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
        #summary:empty { display: none; }
        .card, #tree-pane, #details { background: var(--paper); border: 1px solid var(--line); border-radius: 6px; }
        .card { padding: 10px 12px; min-width: 0; }
        #tree-pane { padding: 8px; overflow-x: auto; }
        #tree-facts { margin: 0 4px 6px; font-size: 12px; color: var(--muted); }
        aside { position: sticky; top: 64px; max-height: calc(100vh - 80px); overflow-y: auto; }
        #details { padding: 12px 14px; }
        h2 { margin: 0 0 8px; font-size: 14px; font-weight: 600; }
        #details h2 { font-size: 15px; font-family: var(--mono); overflow-wrap: anywhere; }
        #details h3 { margin: 12px 0 4px; font-size: 12px; font-weight: 600; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
        dl { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 2px 12px; margin: 0; }
        dt { color: var(--muted); }
        dd { margin: 0; font-family: var(--mono); font-size: 13px; overflow-wrap: anywhere; }
        .hint { margin: 0; color: var(--muted); }
        #legend .hint { margin-left: auto; }
        ul.tree, .node > ul { list-style: none; margin: 0; padding: 0; }
        .node > ul { margin-left: 13px; padding-left: 10px; border-left: 1px solid var(--line); }
        .node.collapsed > ul { display: none; }
        .row {
          display: flex; align-items: flex-start; gap: 4px; padding: 2px 6px 2px 2px;
          border-radius: 4px; cursor: pointer; border-left: 0 solid var(--mark);
        }
        .line { flex: 1; min-width: 0; }
        .chips { display: flex; flex-wrap: wrap; align-items: center; gap: 1px 8px; min-height: 20px; }
        .sep { width: 1px; align-self: stretch; background: var(--line); }
        .row:hover { background: #eef2f7; }
        .row:focus-visible { outline: 2px solid var(--pick-line); outline-offset: -2px; }
        .row.picked { background: var(--pick); box-shadow: inset 0 0 0 1px var(--pick-line); }
        .twisty, .leaf { flex: none; width: 18px; height: 20px; padding: 0; text-align: center; }
        .twisty { border: 0; background: none; cursor: pointer; color: var(--muted); font-size: 12px; line-height: 20px; border-radius: 3px; }
        .twisty:hover { background: var(--line); color: var(--ink); }
        .twisty::before { content: "▾"; }
        .collapsed > .row .twisty::before { content: "▸"; }
        .name { font-family: var(--mono); font-weight: 600; overflow-wrap: anywhere; }
        .tag { font-size: 11px; line-height: 16px; padding: 0 5px; border-radius: 3px; white-space: nowrap; }
        .role { color: var(--muted); background: #eceef1; }
        .role.relay { color: var(--relay-ink); background: var(--relay); }
        .role.both { color: var(--both-ink); background: var(--both); }
        .node[data-role="controller"] > .row .role { display: none; }
        .status { font-weight: 600; }
        .tag.tone-ok { color: var(--ok); background: var(--ok-bg); }
        .tag.tone-warn { color: var(--warn); background: var(--warn-bg); }
        .tag.tone-bad { color: var(--bad); background: var(--bad-bg); }
        .fact, .figure { font-family: var(--mono); font-size: 12px; white-space: nowrap; }
        .fact { color: var(--muted); }
        .tone-ok { color: var(--ok); }
        .tone-warn { color: var(--warn); }
        .tone-bad { color: var(--bad); }
        .tone-mark { color: var(--mark); font-weight: 700; }
        .tally { display: inline-flex; gap: 6px; font-size: 12px; color: var(--muted); }
        .traffic { max-width: 240px; height: 3px; margin: 2px 0 3px; background: var(--ground); border-radius: 2px; }
        .traffic > span { display: block; height: 100%; min-width: 2px; background: #aab1bb; border-radius: 2px; }
        .node[data-busiest] > .row .traffic { height: 5px; }
        .node[data-busiest] > .row .traffic > span { background: var(--mark); }
        .node[data-busiest="1"] > .row { border-left-width: 6px; }
        .node[data-busiest="2"] > .row { border-left-width: 4px; }
        .node[data-busiest="3"] > .row { border-left-width: 3px; }
        .node[data-slowest] > .row .name { color: var(--mark); background: var(--mark-bg); border-radius: 3px; padding: 0 3px; }
        .node.match > .row .name { text-decoration: underline 2px #e0a400; text-underline-offset: 3px; }
        .bars { display: grid; grid-template-columns: minmax(0, max-content) minmax(36px, 1fr) max-content; gap: 3px 8px; align-items: center; }
        .bars button {
          padding: 0; border: 0; background: none; cursor: pointer; text-align: left; font-family: var(--mono); font-size: 12px;
          overflow: hidden; text-overflow: ellipsis; white-space: nowrap;
        }
        .bars button:hover { text-decoration: underline; }
        .bar { height: 10px; background: var(--ground); border-radius: 2px; overflow: hidden; }
        .bar > span { display: block; height: 100%; background: #aab1bb; }
        .bar.ranked > span { background: var(--mark); }
        .bar-text { font-family: var(--mono); font-size: 12px; text-align: right; white-space: nowrap; }
        .bars.plain { grid-template-columns: minmax(0, max-content) minmax(0, 1fr); }
        .bars.plain .bar-text { text-align: left; white-space: normal; color: var(--bad); }
        #legend { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; margin: 10px 4px 2px; padding-top: 8px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }

        """#

    static let script = #"""
        "use strict";
        (() => {
          const COLLAPSE_ABOVE = \#(collapseAbove);
          const graph = JSON.parse(document.getElementById("rhizome-graph").textContent);
          const wording = JSON.parse(document.getElementById("rhizome-wording").textContent);
          const nodes = graph.nodes;
          const count = nodes.length;
          const items = new Array(count);
          const rows = new Array(count);
          const lists = new Array(count);
          const keys = new Array(count);
          const traffic = new Array(count);
          for (const edge of graph.edges) traffic[edge.child] = edge.traffic;
          const total = (t) => t ? t.bytes_down + t.bytes_up : 0;
          const busiestBytes = traffic.reduce((top, t) => Math.max(top, total(t)), 1);
          const roleClass = { "relay": "tag role relay", "relay+target": "tag role both" };
          const tree = document.getElementById("tree");
          const search = document.getElementById("search");
          const matchCount = document.getElementById("match-count");
          const details = document.getElementById("details");
          let picked = null;

          function el(tag, className, text) {
            const e = document.createElement(tag);
            if (className) e.className = className;
            if (text !== undefined && text !== null) e.textContent = text;
            return e;
          }

          function toneClass(base, tone) {
            return tone ? base + " tone-" + tone : base;
          }

          // One row per node: twisty, name, role, status, facts, figures, and for relays a tally of what is behind.
          function buildRow(node, words) {
            const row = el("div", "row");
            row.tabIndex = node.id === 0 ? 0 : -1;
            const line = el("div", "line");
            const chips = el("div", "chips");
            line.append(chips);
            row.title = words.hover;
            if (node.children.length) {
              const twisty = el("button", "twisty");
              twisty.type = "button";
              twisty.tabIndex = -1;
              twisty.setAttribute("aria-label", "Collapse or expand");
              row.append(twisty);
            } else {
              row.append(el("span", "leaf"));
            }
            row.append(line);
            chips.append(el("span", "name", node.name), el("span", roleClass[node.role] || "tag role", node.role));
            if (words.status) chips.append(el("span", toneClass("tag status", words.status.tone), words.status.text));
            for (const fact of words.facts) chips.append(el("span", "fact", fact));
            if (node.children.length) chips.append(el("span", "tally"));
            if (words.figures.length) chips.append(el("span", "sep"));
            for (const part of words.figures) chips.append(el("span", toneClass("figure", part.tone), part.text));
            const t = traffic[node.id];
            if (t) {
              const bar = el("div", "traffic");
              const fill = el("span");
              fill.style.width = (100 * total(t) / busiestBytes).toFixed(1) + "%";
              bar.append(fill);
              line.append(bar);
            }
            return row;
          }

          function build() {
            const fragment = document.createDocumentFragment();
            for (const node of nodes) {
              const words = wording.nodes[node.id];
              const item = el("li", "node");
              item.setAttribute("role", "treeitem");
              item.dataset.id = String(node.id);
              if (node.id !== 0) item.dataset.host = node.name;
              item.dataset.role = node.role;
              const t = traffic[node.id];
              if (t && t.busiest_rank) item.dataset.busiest = String(t.busiest_rank);
              if (node.run && node.run.slowest_rank) item.dataset.slowest = String(node.run.slowest_rank);
              if (words.status) item.dataset.status = words.status.text;
              const row = buildRow(node, words);
              item.append(row);
              if (node.children.length) {
                const list = el("ul");
                list.setAttribute("role", "group");
                item.append(list);
                lists[node.id] = list;
                const collapsed = node.id !== 0 && node.children.length > COLLAPSE_ABOVE;
                item.classList.toggle("collapsed", collapsed);
                item.setAttribute("aria-expanded", String(!collapsed));
              }
              items[node.id] = item;
              rows[node.id] = row;
              keys[node.id] = [node.name.toLowerCase()].concat(node.groups.map((g) => g.toLowerCase()));
              // Depth-first ids: a parent is always built before its children.
              (node.parent === undefined ? fragment : lists[node.parent]).append(item);
            }
            tree.append(fragment);
            tally();
          }

          // Hosts behind each node, by status, in one pass from the leaves up.
          function tally() {
            const behind = nodes.map(() => ({ all: 0, statuses: {} }));
            for (let id = count - 1; id > 0; id--) {
              const up = behind[nodes[id].parent];
              up.all += 1 + behind[id].all;
              const status = wording.nodes[id].status;
              if (status) up.statuses[status.text] = (up.statuses[status.text] || 0) + 1;
              for (const [name, n] of Object.entries(behind[id].statuses)) up.statuses[name] = (up.statuses[name] || 0) + n;
            }
            for (const node of nodes) {
              if (!node.children.length) continue;
              const box = rows[node.id].querySelector(".tally");
              box.append(el("span", null, behind[node.id].all + " behind"));
              for (const [name, tone] of [["SUCCESS", "ok"], ["UP", "ok"], ["CHANGED", "warn"], ["FAILED", "bad"], ["UNREACHABLE", "bad"]]) {
                const n = behind[node.id].statuses[name];
                if (n) box.append(el("span", "tone-" + tone, n + " " + name));
              }
            }
          }

          function setExpanded(id, expanded) {
            if (!lists[id]) return;
            items[id].classList.toggle("collapsed", !expanded);
            items[id].setAttribute("aria-expanded", String(expanded));
          }

          function expandAncestors(id) {
            for (let up = nodes[id].parent; up !== undefined; up = nodes[up].parent) {
              if (!items[up].classList.contains("collapsed")) continue;
              setExpanded(up, true);
            }
          }

          function applySearch() {
            const query = search.value.trim().toLowerCase();
            const shown = new Uint8Array(count);
            let matches = 0;
            for (let id = 0; id < count; id++) {
              const match = query !== "" && id !== 0 && keys[id].some((key) => key.includes(query));
              items[id].classList.toggle("match", match);
              if (!match) continue;
              matches++;
              for (let up = id; up !== undefined && !shown[up]; up = nodes[up].parent) shown[up] = 1;
              expandAncestors(id);
            }
            for (let id = 0; id < count; id++) items[id].hidden = query !== "" && !shown[id];
            const hosts = count - 1;
            matchCount.textContent = query === "" ? hosts + (hosts === 1 ? " host" : " hosts") : matches + " of " + hosts + " match";
          }

          function showDetails(id) {
            const node = nodes[id];
            details.replaceChildren(el("h2", null, node.name));
            for (const section of wording.nodes[id].sections) {
              details.append(el("h3", null, section.heading));
              const list = el("dl");
              for (const row of section.rows) list.append(el("dt", null, row.label), el("dd", toneClass("", row.tone).trim(), row.value));
              details.append(list);
            }
          }

          // One row takes the Tab stop at a time; the arrow keys move it.
          function focusRow(id) {
            for (const row of tree.querySelectorAll('.row[tabindex="0"]')) row.tabIndex = -1;
            rows[id].tabIndex = 0;
            rows[id].focus();
          }

          function onKey(event) {
            const row = event.target.closest(".row");
            if (!row) return;
            const id = Number(row.parentElement.dataset.id);
            const visible = () => Array.from(tree.querySelectorAll(".row")).filter((r) => r.checkVisibility());
            if (event.key === "ArrowDown" || event.key === "ArrowUp") {
              const shown = visible();
              const next = shown[shown.indexOf(row) + (event.key === "ArrowDown" ? 1 : -1)];
              if (next) focusRow(Number(next.parentElement.dataset.id));
            } else if (event.key === "ArrowRight" && lists[id]) {
              setExpanded(id, true);
            } else if (event.key === "ArrowLeft") {
              if (lists[id] && !items[id].classList.contains("collapsed")) setExpanded(id, false);
              else if (nodes[id].parent !== undefined) focusRow(nodes[id].parent);
            } else if (event.key === "Enter" || event.key === " ") {
              pick(id);
            } else {
              return;
            }
            event.preventDefault();
          }

          function pick(id) {
            if (picked !== null) {
              rows[picked].classList.remove("picked");
              items[picked].setAttribute("aria-selected", "false");
            }
            picked = id;
            rows[id].classList.add("picked");
            items[id].setAttribute("aria-selected", "true");
            showDetails(id);
          }

          // From a summary: make the node visible, pick it and scroll to it.
          function reveal(id) {
            if (items[id].hidden) {
              search.value = "";
              applySearch();
            }
            expandAncestors(id);
            pick(id);
            rows[id].scrollIntoView({ block: "nearest" });
          }

          function card(heading) {
            const box = el("section", "card");
            box.append(el("h2", null, heading));
            return box;
          }

          // One card per summary and one per ranked list, report first, the tree last.
          function buildSummaries() {
            const box = document.getElementById("summary");
            document.getElementById("tree-facts").textContent = wording.tree.join(" · ");
            for (const summary of wording.summaries) {
              const facts = card(summary.heading);
              const list = el("dl");
              for (const row of summary.rows) list.append(el("dt", null, row.label), el("dd", toneClass("", row.tone).trim(), row.value));
              facts.append(list);
              box.append(facts);
              for (const bars of summary.lists) {
                const section = card(bars.heading);
                const measured = bars.bars.some((bar) => bar.value !== undefined);
                const grid = el("div", measured ? "bars" : "bars plain");
                const top = bars.bars.reduce((most, bar) => Math.max(most, bar.value || 0), 1e-9);
                for (const bar of bars.bars) {
                  const label = el("button", null, bar.label);
                  label.type = "button";
                  label.title = bar.label;
                  label.dataset.node = String(bar.node);
                  grid.append(label);
                  if (measured) {
                    const track = el("span", bar.rank ? "bar ranked" : "bar");
                    const fill = el("span");
                    fill.style.width = (100 * (bar.value || 0) / top).toFixed(1) + "%";
                    track.append(fill);
                    grid.append(track);
                  }
                  grid.append(el("span", bar.rank ? "bar-text tone-mark" : "bar-text", bar.text));
                }
                section.append(grid);
                box.append(section);
              }
            }
            box.addEventListener("click", (event) => {
              const button = event.target.closest("button[data-node]");
              if (button) reveal(Number(button.dataset.node));
            });
          }

          function legend() {
            document.getElementById("legend").append(
              el("span", "tag role", "target"), el("span", "tag role relay", "relay"), el("span", "tag role both", "relay+target"),
              el("span", "tag tone-ok", "SUCCESS / UP"), el("span", "tag tone-warn", "CHANGED"), el("span", "tag tone-bad", "FAILED / UNREACHABLE"),
              el("span", "tone-mark", "busiest link / slowest host"), el("span", "hint", "hover a host for its facts, click it for all of them"));
          }

          build();
          buildSummaries();
          legend();
          applySearch();

          tree.addEventListener("click", (event) => {
            const row = event.target.closest(".row");
            if (!row) return;
            const id = Number(row.parentElement.dataset.id);
            if (event.target.closest(".twisty")) {
              setExpanded(id, items[id].classList.contains("collapsed"));
            } else {
              pick(id);
              focusRow(id);
            }
          });
          tree.addEventListener("keydown", onKey);
          search.addEventListener("input", applySearch);
          search.addEventListener("keydown", (event) => {
            if (event.key === "Escape") {
              search.value = "";
              applySearch();
            }
          });
          document.addEventListener("keydown", (event) => {
            if (event.key === "/" && document.activeElement !== search) {
              event.preventDefault();
              search.focus();
            }
          });
          document.getElementById("expand-all").addEventListener("click", () => {
            for (let id = 1; id < count; id++) setExpanded(id, true);
          });
          document.getElementById("collapse-all").addEventListener("click", () => {
            for (let id = 1; id < count; id++) setExpanded(id, false);
          });
          document.body.dataset.ready = "true";
        })();

        """#
}
