// Package browser holds Hookflow's browser tests: headless chromium,
// driven by chromedp through web/webtest, clicks through real pages of a
// real server. It also holds the scheduler's and the poller's tests
// (schedule_test.go, polling_test.go), which wait on the clock, so that
// it and package web take about as long as each other. It has no code of
// its own; the tests are apart from package web's so that the two run
// side by side.
package browser
