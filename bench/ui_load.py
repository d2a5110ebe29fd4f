#!/usr/bin/env python3
"""First page load of the web app in a real headless Chromium, cold (a fresh browser profile,
so nothing is cached), for each page: the navigation's load event and the moment the page's
data is on screen (the collection list filled; on the dashboard, its charts drawn).

Usage: start a server (e.g. ./scripts/run.sh), then
    bench/ui_load.py [--url http://127.0.0.1:8080] [--runs 10]
It needs chromium and chromedriver (scripts/fetch-browser.sh installs both; CAIRN_CHROMIUM and
CAIRN_CHROMEDRIVER override where they are). Only the standard library: WebDriver is JSON over
HTTP. The target (docs/web-app.md) is a first load under 1 s on localhost.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request

PAGES = {
    "playground": ("/#/playground",
                   "return document.querySelectorAll('[data-testid=collection-select] option').length > 0"),
    "dashboard": ("/#/dashboard",
                  "return !!document.querySelector('[data-testid=chart-thumbs] canvas') "
                  "|| /No answers/.test(document.querySelector('[data-testid=chart-thumbs]').innerText)"),
}


def call(base, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"content-type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.load(r)["value"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def one_load(driver, chromium, url, ready):
    profile = tempfile.mkdtemp()
    caps = {"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
        "binary": chromium,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 f"--user-data-dir={profile}", "--window-size=1280,800"]}}}}
    session = call(driver, "POST", "/session", caps)["sessionId"]
    try:
        started = time.monotonic()
        call(driver, "POST", f"/session/{session}/url", {"url": url})
        while not call(driver, "POST", f"/session/{session}/execute/sync",
                       {"script": ready, "args": []}):
            if time.monotonic() - started > 30:
                raise SystemExit(f"{url}: the page never became ready")
            time.sleep(0.01)
        on_screen = (time.monotonic() - started) * 1000
        load = call(driver, "POST", f"/session/{session}/execute/sync", {
            "script": "const t = performance.getEntriesByType('navigation')[0]; return t.loadEventEnd",
            "args": []})
        return load, on_screen
    finally:
        call(driver, "DELETE", f"/session/{session}")
        shutil.rmtree(profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("CAIRN_URL", "http://127.0.0.1:8080"))
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    chromium = os.environ.get("CAIRN_CHROMIUM") or shutil.which("chromium")
    chromedriver = os.environ.get("CAIRN_CHROMEDRIVER") or shutil.which("chromedriver")
    if not chromium or not chromedriver:
        raise SystemExit("chromium and chromedriver are needed: run scripts/fetch-browser.sh")
    port = free_port()
    proc = subprocess.Popen([chromedriver, f"--port={port}"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    driver = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(driver + "/status", timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        version = subprocess.run([chromium, "--version"], capture_output=True, text=True).stdout.strip()
        print(f"{version}; {args.runs} cold loads per page of {args.url}")
        print(f"{'page':<12}{'load p50':>10}{'load max':>10}{'data p50':>10}{'data max':>10}  (ms)")
        for name, (path, ready) in PAGES.items():
            loads, screens = zip(*(one_load(driver, chromium, args.url.rstrip("/") + path, ready)
                                   for _ in range(args.runs)))
            print(f"{name:<12}{statistics.median(loads):>10.0f}{max(loads):>10.0f}"
                  f"{statistics.median(screens):>10.0f}{max(screens):>10.0f}"
                  f"  data per run: {' '.join(f'{x:.0f}' for x in screens)}")
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
