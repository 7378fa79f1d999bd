#!/usr/bin/env python3
"""Checks `rhizome topology --format html` pages in headless Chromium.

Drives Chromium over its DevTools protocol on a pipe (--remote-debugging-pipe: JSON
messages ended by NUL on file descriptors 3 and 4), so it needs nothing but Python's
standard library and the browser. Each case of the cases file names a page and what the
page must do:

  {"name": "demo-report", "html": "/tmp/demo-report.html",
   "hosts": ["web1", ...],                      every host of the inventory
   "top": ["web1", ...],                        the hosts linked to the controller directly
   "collapse": {"node": "edge", "behind": ["app1", "app2"]},
   "searches": [{"query": "db", "matches": ["db1", "db2"], "visible": ["db1", "db2"]}],
   "click": {"node": "app1", "expect": ["root@198.18.1.11:22", "SUCCESS"]},
   "screenshot": "/tmp/demo-report.png"}       optional: where to keep the picture

Every host must be one element with data-host; collapsing a node hides what is behind it
and expanding shows it again; Collapse all / Expand all; a search shows the matches and
the hops in front of them only, and counts the matches; clicking a host fills the side
panel with its facts; and a screenshot of the page is not blank. Prints one line per
check and `N passed, M failed`; exits 1 if a check failed, 2 if the browser could not
be driven. The browser runs in its own process group, which is killed on the way out.
"""

import argparse
import base64
import fcntl
import json
import os
import pathlib
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

VIEWPORT = (1280, 800)


class BrowserError(Exception):
    pass


class Browser:
    """One headless Chromium, spoken to over --remote-debugging-pipe."""

    def __init__(self, binary, deadline):
        self.deadline = deadline
        self.profile = tempfile.mkdtemp(prefix="rhizome-chromium-")
        self.log = open(os.path.join(self.profile, "stderr.log"), "wb")
        self.next_id = 0
        self.buffer = b""
        to_browser_r, self.to_browser = os.pipe()
        self.from_browser, from_browser_w = os.pipe()

        def child_fds():
            # Move both ends out of the way first: pipe() may itself have returned 3 or 4.
            read_end = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            write_end = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(read_end, 3)
            os.dup2(write_end, 4)

        arguments = [
            binary, "--headless=new", "--remote-debugging-pipe", "--user-data-dir=" + self.profile,
            "--no-first-run", "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio", "--force-device-scale-factor=1",
            "--window-size=%d,%d" % VIEWPORT, "about:blank",
        ]
        if os.geteuid() == 0:
            # Chromium refuses to run its sandbox as root.
            arguments.insert(1, "--no-sandbox")
        try:
            self.process = subprocess.Popen(
                arguments, stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log,
                preexec_fn=child_fds, close_fds=False, start_new_session=True)
        except OSError as error:
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)
            raise BrowserError("cannot start %s: %s" % (binary, error))
        finally:
            os.close(to_browser_r)
            os.close(from_browser_w)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        message = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        data = json.dumps(message).encode() + b"\0"
        while data:
            data = data[os.write(self.to_browser, data):]
        return self.wait(self.next_id, method)

    def wait(self, ident, what):
        while True:
            while b"\0" in self.buffer:
                raw, _, self.buffer = self.buffer.partition(b"\0")
                message = json.loads(raw)
                if message.get("id") == ident:
                    if "error" in message:
                        raise BrowserError("%s: %s" % (what, message["error"].get("message")))
                    return message.get("result", {})
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for " + what)
            ready, _, _ = select.select([self.from_browser], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self.from_browser, 1 << 20)
                if not chunk:
                    raise BrowserError("the browser went away during " + what + self.log_tail())
                self.buffer += chunk

    def log_tail(self):
        try:
            with open(os.path.join(self.profile, "stderr.log"), "rb") as f:
                lines = [line for line in f.read().decode(errors="replace").splitlines() if "dbus" not in line]
            return "\n" + "\n".join(lines[-15:])
        except OSError:
            return ""

    def close(self):
        try:
            if self.process.poll() is None:
                try:
                    self.deadline = time.monotonic() + 3
                    self.send("Browser.close")
                except (BrowserError, OSError):
                    pass
                try:
                    self.process.wait(timeout=3)
                except subprocess.TimeoutExpired:
                    pass
        finally:
            # The whole group: the browser's zygotes and renderers too.
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.process.wait()
            for fd in (self.to_browser, self.from_browser):
                try:
                    os.close(fd)
                except OSError:
                    pass
            self.log.close()
            shutil.rmtree(self.profile, ignore_errors=True)


class Page:
    """One tab, attached over a flat session."""

    def __init__(self, browser, url):
        self.browser = browser
        target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        self.call("Emulation.setDeviceMetricsOverride",
                  {"width": VIEWPORT[0], "height": VIEWPORT[1], "deviceScaleFactor": 1, "mobile": False})
        self.call("Page.enable")
        self.call("Page.navigate", {"url": url})
        while not self.eval("document.readyState === 'complete' && document.body && document.body.dataset.ready === 'true'"):
            if time.monotonic() > browser.deadline:
                raise BrowserError("the page did not finish building: " + url)
            time.sleep(0.05)

    def call(self, method, params=None):
        return self.browser.send(method, params, self.session)

    def eval(self, expression):
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise BrowserError("script error: %s in %s" % (result["exceptionDetails"].get("exception", {}).get("description"),
                                                           expression[:200]))
        return result["result"].get("value")

    def click(self, selector_js):
        """A real left click in the middle of the element `selector_js` evaluates to."""
        point = self.eval("(() => { const e = %s; if (!e) return null; e.scrollIntoView({block: 'center'});"
                          " const r = e.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()"
                          % selector_js)
        if point is None:
            raise BrowserError("nothing to click: " + selector_js)
        x, y = point
        self.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": x, "y": y})
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})

    def key(self, name, code):
        for kind in ("keyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", {"type": kind, "key": name, "code": name,
                                                 "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code})

    def type(self, text):
        self.call("Input.insertText", {"text": text})

    def visible_hosts(self):
        return set(self.eval("Array.from(document.querySelectorAll('#tree [data-host]'))"
                             ".filter((e) => e.checkVisibility()).map((e) => e.dataset.host)"))

    def screenshot(self):
        return base64.b64decode(self.call("Page.captureScreenshot", {"format": "png"})["data"])


def host(name):
    """JS for the element of host `name`."""
    return "document.querySelector('#tree [data-host=\"' + CSS.escape(%s) + '\"]')" % json.dumps(name)


def png_pixels(data):
    """Width, height, bytes per pixel and the unfiltered rows of an 8-bit RGB(A) PNG."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    position, idat = 8, []
    width = height = channels = None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        position += 12 + length
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            channels = {2: 3, 6: 4}.get(colour)
            if depth != 8 or channels is None or interlace:
                raise ValueError("unexpected PNG layout: depth %d, colour type %d, interlace %d" % (depth, colour, interlace))
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, row = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:
            for i in range(channels, stride):
                row[i] = (row[i] + row[i - channels]) & 0xFF
        elif kind == 2:
            row = bytearray((a + b) & 0xFF for a, b in zip(row, previous))
        elif kind == 3:
            for i in range(stride):
                left = row[i - channels] if i >= channels else 0
                row[i] = (row[i] + ((left + previous[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = row[i - channels] if i >= channels else 0
                b, c = previous[i], previous[i - channels] if i >= channels else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(row)
        previous = row
    return width, height, channels, rows


def blankness(png):
    """Share of pixels in the most common colour, and how many colours there are."""
    width, height, channels, rows = png_pixels(png)
    counts = {}
    for row in rows:
        for x in range(0, width * channels, channels):
            colour = bytes(row[x:x + 3])
            counts[colour] = counts.get(colour, 0) + 1
    return max(counts.values()) / (width * height), len(counts)


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok    " + what)
        else:
            self.failed += 1
            print("FAIL  " + what + (": " + detail if detail else ""))
        sys.stdout.flush()
        return ok


def describe(got, want):
    missing, extra = sorted(set(want) - set(got)), sorted(set(got) - set(want))
    return "missing %s, unexpected %s" % (missing[:8], extra[:8])


def injected_elements(page):
    """Elements that only markup in the data could have made, anywhere the page draws data,
    plus 1000 if a script from the data ran (the hostile names set window.rhizomeInjected)."""
    return page.eval("document.querySelectorAll(['#tree', 'aside', '#summary'].flatMap((where) =>"
                     " ['img', 'script', 'iframe', 'svg', 'object'].map((what) => where + ' ' + what)).join(', ')).length"
                     " + (window.rhizomeInjected ? 1000 : 0)")


def run_case(browser, case, checks):
    name = case["name"]
    started = time.monotonic()
    page = Page(browser, pathlib.Path(case["html"]).resolve().as_uri())
    hosts = case["hosts"]

    in_dom = page.eval("Array.from(document.querySelectorAll('#tree [data-host]'), (e) => e.dataset.host)")
    checks.check(sorted(in_dom) == sorted(hosts), "%s: every host is one element with data-host (%d)" % (name, len(hosts)),
                 describe(in_dom, hosts))
    checks.check(injected_elements(page) == 0, "%s: no markup or script from the data" % name,
                 "%d elements" % injected_elements(page))
    blobs = page.eval("JSON.parse(document.getElementById('rhizome-graph').textContent).nodes.map((n) => n.name)")
    checks.check(sorted(blobs[1:]) == sorted(hosts), "%s: every host is in the embedded JSON" % name, describe(blobs[1:], hosts))
    counted = page.eval("document.getElementById('match-count').textContent")
    checks.check(counted == "%d host%s" % (len(hosts), "" if len(hosts) == 1 else "s"), "%s: host count shown" % name, repr(counted))

    for search in case.get("searches", []):
        query = search["query"]
        page.click("document.getElementById('search')")
        page.type(query)
        visible = page.visible_hosts()
        matched = page.eval("Array.from(document.querySelectorAll('#tree .match'), (e) => e.dataset.host)")
        count = page.eval("document.getElementById('match-count').textContent")
        checks.check(visible == set(search["visible"]),
                     "%s: search %r shows %d hosts" % (name, query, len(search["visible"])), describe(visible, search["visible"]))
        checks.check(sorted(matched) == sorted(search["matches"]) and count.startswith("%d of %d" % (len(search["matches"]), len(hosts))),
                     "%s: search %r matches %d (%s)" % (name, query, len(search["matches"]), count), describe(matched, search["matches"]))
        page.key("Escape", 27)
        cleared = page.eval("document.getElementById('search').value === '' && !document.querySelector('#tree [hidden]')")
        checks.check(cleared, "%s: Escape clears the search" % name)

    collapse = case.get("collapse")
    if collapse:
        node, behind = collapse["node"], collapse["behind"]
        twisty = "%s.querySelector('.twisty')" % host(node)
        if page.eval("%s.getAttribute('aria-expanded')" % host(node)) == "false":
            page.click(twisty)
        checks.check(set(behind) <= page.visible_hosts(), "%s: %s expanded shows the %d hosts behind it" % (name, node, len(behind)))
        page.click(twisty)
        visible = page.visible_hosts()
        checks.check(not (set(behind) & visible) and node in visible
                     and page.eval("%s.getAttribute('aria-expanded')" % host(node)) == "false",
                     "%s: collapsing %s hides the hosts behind it" % (name, node), describe(visible & set(behind), []))
        page.click(twisty)
        checks.check(set(behind) <= page.visible_hosts(), "%s: expanding %s shows them again" % (name, node))
        page.click("document.getElementById('collapse-all')")
        visible = page.visible_hosts()
        checks.check(visible == set(case["top"]), "%s: Collapse all leaves the first level" % name, describe(visible, case["top"]))
        page.click("document.getElementById('expand-all')")
        visible = page.visible_hosts()
        checks.check(visible == set(hosts), "%s: Expand all shows every host" % name, describe(visible, hosts))

    click = case.get("click")
    if click:
        page.click("%s.querySelector('.name')" % host(click["node"]))
        panel = page.eval("Array.from(document.querySelectorAll('#details *'), (e) => e.textContent).join('\\n')")
        missing = [text for text in [click["node"]] + click["expect"] if text not in panel]
        checks.check(not missing, "%s: clicking %s fills the side panel" % (name, click["node"]),
                     "missing %s in %r" % (missing, panel[:300]))
        # The keyboard: Left collapses a node, or on a leaf goes up to its parent; Right expands.
        parent = page.eval("(() => { const p = %s.parentElement.closest('li'); return p.dataset.host || null; })()" % host(click["node"]))
        below = page.eval("Array.from(%s.querySelectorAll('ul [data-host]'), (e) => e.dataset.host)" % host(click["node"]))
        if below:
            page.key("ArrowLeft", 37)
            hidden = not (set(below) & page.visible_hosts())
            page.key("ArrowRight", 39)
            checks.check(hidden and set(below) <= page.visible_hosts(), "%s: arrow keys collapse and expand %s" % (name, click["node"]))
        elif parent:
            page.key("ArrowLeft", 37)
            on_parent = page.eval("document.activeElement === %s.querySelector('.row')" % host(parent))
            page.key("ArrowLeft", 37)
            hidden = click["node"] not in page.visible_hosts()
            page.key("ArrowRight", 39)
            checks.check(on_parent and hidden and click["node"] in page.visible_hosts(),
                         "%s: arrow keys move to %s, collapse and expand it" % (name, parent))
            page.click("%s.querySelector('.name')" % host(click["node"]))
        hover = page.eval("%s.querySelector('.row').title" % host(click["node"]))
        checks.check(click["node"] in hover and all(text in hover for text in click.get("hover", [])),
                     "%s: %s has its facts as hover text" % (name, click["node"]), repr(hover[:200]))

    # Searching, clicking and the side panel render data too: nothing from it may have become markup.
    injected = injected_elements(page)
    checks.check(injected == 0, "%s: still no markup or script from the data after searches and clicks" % name,
                 "%d elements" % injected)

    page.eval("window.scrollTo(0, 0)")
    page.call("Input.dispatchMouseEvent", {"type": "mouseMoved", "x": VIEWPORT[0] - 1, "y": VIEWPORT[1] - 1})
    png = page.screenshot()
    share, colours = blankness(png)
    checks.check(share < 0.97 and colours >= 16, "%s: screenshot is not blank (%.1f%% one colour, %d colours)"
                 % (name, 100 * share, colours))
    if case.get("screenshot"):
        with open(case["screenshot"], "wb") as f:
            f.write(png)
    print("      %s took %.1f s" % (name, time.monotonic() - started))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chromium", required=True, help="the browser's executable")
    parser.add_argument("--cases", required=True, help="JSON file: a list of cases (see above)")
    parser.add_argument("--timeout", type=float, default=90, help="seconds for everything, browser start included")
    options = parser.parse_args()
    with open(options.cases) as f:
        cases = json.load(f)

    # A SIGTERM from whoever runs us still closes the browser.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(3))
    checks = Checks()
    browser = None
    try:
        browser = Browser(options.chromium, time.monotonic() + options.timeout)
        version = browser.send("Browser.getVersion")
        print("      " + version.get("product", "?"))
        for case in cases:
            run_case(browser, case, checks)
    except (BrowserError, OSError) as error:
        print("ERROR " + str(error))
        print("%d passed, %d failed" % (checks.passed, checks.failed + 1))
        return 2
    finally:
        if browser:
            browser.close()
    print("%d passed, %d failed" % (checks.passed, checks.failed))
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
