package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/hookflow/hookflow/store"
)

// defaultAdminEmail is the first super admin's email when none is configured.
const defaultAdminEmail = "admin@hookflow.local"

// runAdmin runs "hookflow admin create|reset-password".
func runAdmin(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "create" && args[0] != "reset-password") {
		return errors.New("usage: hookflow admin create|reset-password --admin-email E [--admin-password P]")
	}
	sub := args[0]
	cfg, err := parseConfig("hookflow admin "+sub, args[1:], getenv, stderr)
	if err != nil {
		return err
	}
	if cfg.AdminEmail == "" {
		return errors.New("HOOKFLOW_ADMIN_EMAIL (or --admin-email) is required")
	}
	st, err := store.Open(ctx, store.Config{DatabaseURL: cfg.DatabaseURL, DataDir: cfg.DataDir, Logger: newLogger(cfg, stderr)})
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
		fmt.Fprintf(stdout, "Created super admin %s.\n", cfg.AdminEmail)
	case "reset-password":
		u, err := st.UserByEmail(ctx, cfg.AdminEmail)
		if err != nil {
			return err
		}
		if err := st.SetPassword(ctx, u.ID, password, 0); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Reset the password of %s.\n", cfg.AdminEmail)
	}
	if generated {
		fmt.Fprintf(stdout, "Password: %s\n(shown once; change it under Settings)\n", password)
	}
	return nil
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
