// Package browser holds Hookflow's browser tests: headless chromium,
// driven by chromedp through web/webtest, clicks through real pages of a
// real server. It has no code of its own; the tests are apart from
// package web's so that the two run side by side.
package browser
