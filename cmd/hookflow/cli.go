package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/hookflow/hookflow/store"
)

// env is what a command runs with: the environment and where it writes.
type env struct {
	getenv         func(string) string
	stdout, stderr io.Writer
}

// command is one of hookflow's commands. setup defines its own flags on
// fs and returns what it does with them, the configuration and its
// arguments.
type command struct {
	name    string // e.g. "admin create"
	args    string // what follows the name, for the usage line
	summary string
	// settings are the settings it takes as flags (nil: all of them);
	// it reads the others from the environment.
	settings []string
	// nargs is how many arguments it takes.
	nargs int
	setup func(fs *flag.FlagSet) func(ctx context.Context, e env, cfg config, args []string) error
}

// storeSettings are the settings of the commands that open the database.
var storeSettings = []string{"data-dir", "database-url", "log-level", "log-format"}

// commands are hookflow's commands, in the order its help lists them.
var commands []command

func init() {
	commands = []command{
		{name: "serve", args: "[flags]", summary: "Serve Hookflow (the command when none is given).", setup: setupServe},
		{name: "migrate", args: "[flags]", summary: "Apply the database migrations this binary has, then exit.", settings: storeSettings, setup: setupMigrate},
		{name: "admin create", args: "--admin-email E [--admin-password P]", summary: "Add a super admin (a password is generated and printed once unless given).",
			settings: append([]string{"admin-email", "admin-password"}, storeSettings...), setup: setupAdmin("create")},
		{name: "admin reset-password", args: "--admin-email E [--admin-password P]", summary: "Set a super admin's password (generated unless given) and end their sessions.",
			settings: append([]string{"admin-email", "admin-password"}, storeSettings...), setup: setupAdmin("reset-password")},
		{name: "admin list", args: "[flags]", summary: "List the super admins.", settings: storeSettings, setup: setupAdminList},
		{name: "token create", args: "--name N [--admin EMAIL]", summary: "Create an API token for a super admin and print it (shown once).", settings: storeSettings, setup: setupToken},
		{name: "export", args: "--connector ID | --flow ID | --all [-o FILE]", summary: "Write a connector, a workspace flow with its tables, or everything as JSON.", settings: storeSettings, setup: setupExport},
		{name: "import", args: "FILE", summary: "Import a connector, workspace flow, everything (hookflow export --all) or an Okta Workflows .flopack.", settings: storeSettings, nargs: 1, setup: setupImport},
		{name: "backup", args: "FILE", summary: "Write a consistent copy of the SQLite database and its keys to FILE (.tar.gz), also while serving.",
			settings: []string{"data-dir", "database-url"}, nargs: 1, setup: setupBackup},
		{name: "restore", args: "FILE [--force]", summary: "Put a backup into a stopped, empty or new data directory.", settings: []string{"data-dir", "database-url"}, nargs: 1, setup: setupRestore},
		{name: "version", summary: "Print the version and the source revision of this binary.", settings: []string{}, setup: setupVersion},
	}
}

// errHelpShown ends a command whose help was asked for: exit 0.
var errHelpShown = errors.New("help shown")

// run dispatches the command named by the first arguments; without one,
// it serves.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	e := env{getenv: getenv, stdout: stdout, stderr: stderr}
	if len(args) == 0 || (strings.HasPrefix(args[0], "-") && !isHelp(args[0])) {
		return runCommand(ctx, e, commandNamed("serve"), args)
	}
	if args[0] == "help" && len(args) > 1 {
		return run(ctx, append(args[1:], "--help"), getenv, stdout, stderr)
	}
	if isHelp(args[0]) || args[0] == "help" {
		printHelp(stdout)
		return errHelpShown
	}
	if len(args) > 1 {
		if c := commandNamed(args[0] + " " + args[1]); c != nil {
			return runCommand(ctx, e, c, args[2:])
		}
	}
	if c := commandNamed(args[0]); c != nil {
		return runCommand(ctx, e, c, args[1:])
	}
	var subs []string
	for _, c := range commands {
		if group, sub, ok := strings.Cut(c.name, " "); ok && group == args[0] {
			subs = append(subs, sub)
		}
	}
	if len(subs) > 0 {
		return fmt.Errorf("usage: hookflow %s %s (hookflow %s --help says more)", args[0], strings.Join(subs, "|"), args[0]+" "+subs[0])
	}
	return fmt.Errorf("unknown command %q: hookflow --help lists the commands", args[0])
}

func isHelp(arg string) bool { return arg == "-h" || arg == "-help" || arg == "--help" }

func commandNamed(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// runCommand parses a command's flags (before, between and after its
// arguments), reads the configuration and runs it.
func runCommand(ctx context.Context, e env, c *command, args []string) error {
	fs := flag.NewFlagSet("hookflow "+c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors come back as one line; help goes to stdout
	vals := defineSettings(fs, e.getenv, c.settings)
	do := c.setup(fs)
	var pos []string
	for {
		if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
			printCommandHelp(e.stdout, c, fs)
			return errHelpShown
		} else if err != nil {
			return fmt.Errorf("%s: %s (hookflow %s --help lists the flags)", c.name, err, c.name)
		}
		if fs.NArg() == 0 {
			break
		}
		pos, args = append(pos, fs.Arg(0)), fs.Args()[1:]
	}
	if len(pos) != c.nargs {
		if len(pos) > c.nargs {
			return fmt.Errorf("%s: unexpected argument %q (usage: hookflow %s %s)", c.name, pos[c.nargs], c.name, c.args)
		}
		return fmt.Errorf("usage: hookflow %s %s", c.name, c.args)
	}
	cfg, err := vals.config()
	if err != nil {
		return err
	}
	return do(ctx, e, cfg, pos)
}

func printHelp(w io.Writer) {
	fmt.Fprintf(w, "Hookflow: a self-hosted flow automation server.\n\nusage: hookflow <command> [flags]\n\ncommands:\n")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range commands {
		fmt.Fprintf(tw, "  %s\t%s\n", c.name, c.summary)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nEach command takes --help. Settings come from HOOKFLOW_* environment variables or the matching flags; see README.md.\n")
}

func printCommandHelp(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "usage: hookflow %s %s\n\n%s\n", c.name, c.args, c.summary)
	n := 0
	fs.VisitAll(func(*flag.Flag) { n++ })
	if n > 0 {
		fmt.Fprintf(w, "\nflags:\n")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// openStore opens the database the configuration names, applying the
// migrations it lacks (and refusing one newer than this binary).
func openStore(ctx context.Context, cfg config, e env) (*store.Store, error) {
	return store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: newLogger(cfg, e.stderr)})
}

// setupServe is the serve command.
func setupServe(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(ctx context.Context, e env, cfg config, _ []string) error {
		return serve(ctx, cfg, e.stdout, e.stderr)
	}
}

// setupMigrate is the migrate command.
func setupMigrate(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(ctx context.Context, e env, cfg config, _ []string) error {
		st, err := openStore(ctx, cfg, e)
		if err != nil {
			return err
		}
		defer st.Close()
		v, err := st.SchemaVersion(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "The database's schema is at step %d (this hookflow knows steps up to %d).\n", v, store.LatestSchemaVersion())
		return nil
	}
}
