package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hookflow/hookflow/flows"
	"github.com/hookflow/hookflow/store"
)

// defaultAdminEmail is the first super admin's email when none is configured.
const defaultAdminEmail = "admin@hookflow.local"

// setupAdmin is the admin create and admin reset-password commands.
func setupAdmin(sub string) func(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(*flag.FlagSet) func(context.Context, env, config, []string) error {
		return func(ctx context.Context, e env, cfg config, _ []string) error {
			if cfg.AdminEmail == "" {
				return errors.New("HOOKFLOW_ADMIN_EMAIL (or --admin-email) is required")
			}
			st, err := openStore(ctx, cfg, e)
			if err != nil {
				return err
			}
			defer st.Close()
			password, generated := cfg.AdminPassword, false
			if password == "" {
				password, generated = generatePassword(), true
			}
			switch sub {
			case "create":
				if _, err := st.CreateUser(ctx, cfg.AdminEmail, password); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Created super admin %s.\n", cfg.AdminEmail)
			case "reset-password":
				u, err := st.UserByEmail(ctx, cfg.AdminEmail)
				if err != nil {
					return err
				}
				if err := st.SetPassword(ctx, u.ID, password, 0); err != nil {
					return err
				}
				fmt.Fprintf(e.stdout, "Reset the password of %s.\n", cfg.AdminEmail)
			}
			if generated {
				fmt.Fprintf(e.stdout, "Password: %s\n(shown once; change it under Settings)\n", password)
			}
			return nil
		}
	}
}

// setupAdminList is the admin list command: each super admin's email and
// when they were added.
func setupAdminList(*flag.FlagSet) func(context.Context, env, config, []string) error {
	return func(ctx context.Context, e env, cfg config, _ []string) error {
		st, err := openStore(ctx, cfg, e)
		if err != nil {
			return err
		}
		defer st.Close()
		users, err := st.Users(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tADDED")
		for _, u := range users {
			fmt.Fprintf(tw, "%s\t%s\n", u.Email, u.CreatedAt.UTC().Format(time.DateTime))
		}
		return tw.Flush()
	}
}

// setupToken is the token create command: it prints the token alone on
// stdout (for scripts), and what it is on stderr.
func setupToken(fs *flag.FlagSet) func(context.Context, env, config, []string) error {
	name := fs.String("name", "", "what the token is for, as Settings lists it (required)")
	email := fs.String("admin", "", "email of the super admin the token acts as (needed when there are several)")
	return func(ctx context.Context, e env, cfg config, _ []string) error {
		if strings.TrimSpace(*name) == "" {
			return errors.New("token create: --name is required (what the token is for)")
		}
		st, err := openStore(ctx, cfg, e)
		if err != nil {
			return err
		}
		defer st.Close()
		var admin flows.User
		if *email != "" {
			if admin, err = st.UserByEmail(ctx, *email); errors.Is(err, flows.ErrNotFound) {
				return fmt.Errorf("token create: there is no super admin %s", *email)
			} else if err != nil {
				return err
			}
		} else {
			users, err := st.Users(ctx)
			if err != nil {
				return err
			}
			if len(users) != 1 {
				return fmt.Errorf("token create: there are %d super admins: name one with --admin EMAIL", len(users))
			}
			admin = users[0]
		}
		_, token, err := st.CreateAPIToken(ctx, admin.ID, strings.TrimSpace(*name))
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, token)
		fmt.Fprintf(e.stderr, "Created API token %q for %s. It is shown only once; Settings lists and revokes it.\n", strings.TrimSpace(*name), admin.Email)
		return nil
	}
}

// ensureAdmin creates the first super admin when there is none: from the
// configured email and password, or with a generated password printed once.
func ensureAdmin(ctx context.Context, st *store.Store, cfg config, stdout io.Writer, log *slog.Logger) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	email, password := cfg.AdminEmail, cfg.AdminPassword
	if email == "" {
		email = defaultAdminEmail
	}
	generated := password == ""
	if generated {
		password = generatePassword()
	}
	if _, err := st.CreateUser(ctx, email, password); err != nil {
		return fmt.Errorf("create the first super admin: %w", err)
	}
	log.Info("created the first super admin", "email", email)
	if generated {
		fmt.Fprintf(stdout, "\n  Hookflow created the super admin. Sign in with\n    email:    %s\n    password: %s\n  This password is shown only once; change it under Settings.\n\n", email, password)
	}
	return nil
}

func generatePassword() string {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
