package web

import (
	"context"
	"errors"
	"maps"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/hookflow/hookflow/flows"
)

// sessionRows is where the session store keeps its sessions (store.Store).
type sessionRows interface {
	CreateSession(ctx context.Context, sess flows.Session) (flows.Session, string, error)
	SessionByToken(ctx context.Context, token, addr string) (flows.Session, error)
	SetSessionData(ctx context.Context, id int64, data string) error
	RevokeSession(ctx context.Context, userID, id int64) error
}

// serverStore is a gorilla/sessions Store that keeps sessions in
// Hookflow's database, so that they can be listed and ended. The cookie
// carries only the session's token, signed and encrypted with the
// session keys; the admin and the flash messages are in the session's
// row, which must still be live for the cookie to count. Only signed-in
// sessions are kept: a visitor's session is never saved.
type serverStore struct {
	rows    sessionRows
	codecs  []securecookie.Codec
	options *sessions.Options
	// addr is the client's address, as echo's IP extractor sees it.
	addr func(*http.Request) string
}

var _ sessions.Store = (*serverStore)(nil)

func newServerStore(rows sessionRows, keys [][]byte, secure bool, addr func(*http.Request) string) *serverStore {
	st := &serverStore{rows: rows, codecs: securecookie.CodecsFromPairs(keys...), addr: addr, options: &sessions.Options{
		Path:     "/",
		MaxAge:   int(sessionLifetime.Seconds()),
		HttpOnly: true,
		Secure:   secure,
		SameSite: http.SameSiteLaxMode,
	}}
	for _, c := range st.codecs {
		if sc, ok := c.(*securecookie.SecureCookie); ok {
			sc.MaxAge(st.options.MaxAge)
		}
	}
	return st
}

// Get returns the request's session, loaded once per request.
func (st *serverStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(st, name)
}

// New loads the session the request's cookie names. A cookie that cannot
// be decoded (tampered, signed with an old key) or names a session that
// has ended or expired gives a new, empty session: the visitor is signed
// out. Only the database failing is an error.
func (st *serverStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := st.empty(name)
	ck, err := r.Cookie(name)
	if err != nil {
		return sess, nil
	}
	var token string
	if securecookie.DecodeMulti(name, ck.Value, &token, st.codecs...) != nil {
		return sess, nil
	}
	row, err := st.rows.SessionByToken(r.Context(), token, st.addr(r))
	if errors.Is(err, flows.ErrUnauthorized) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	if row.Data != "" {
		// Data that no longer decodes (the keys changed) is only flashes.
		_ = securecookie.DecodeMulti(name, row.Data, &sess.Values, st.codecs...)
	}
	sess.ID, sess.IsNew = token, false
	sess.Values[keyUserID], sess.Values[keySessionID] = row.UserID, row.ID
	return sess, nil
}

// empty is a new session with the store's options.
func (st *serverStore) empty(name string) *sessions.Session {
	sess := sessions.NewSession(st, name)
	opts := *st.options
	sess.Options, sess.IsNew = &opts, true
	return sess
}

// Save keeps the session: a signed-in session without a row gets one and
// its cookie; one with a row has its data saved; one whose MaxAge is
// negative is ended and its cookie removed.
func (st *serverStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	ctx := r.Context()
	uid, _ := sess.Values[keyUserID].(int64)
	id, _ := sess.Values[keySessionID].(int64)
	if sess.Options.MaxAge < 0 {
		if id != 0 {
			if err := st.rows.RevokeSession(ctx, uid, id); err != nil && !errors.Is(err, flows.ErrNotFound) {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	if uid == 0 {
		return nil
	}
	data, err := st.encodeData(sess)
	if err != nil {
		return err
	}
	if id != 0 {
		return st.rows.SetSessionData(ctx, id, data)
	}
	row, token, err := st.rows.CreateSession(ctx, flows.Session{UserID: uid, Address: st.addr(r), UserAgent: r.UserAgent(),
		ExpiresAt: time.Now().Add(sessionLifetime), Data: data})
	if err != nil {
		return err
	}
	encoded, err := securecookie.EncodeMulti(sess.Name(), token, st.codecs...)
	if err != nil {
		return err
	}
	sess.ID, sess.Values[keySessionID] = token, row.ID
	http.SetCookie(w, sessions.NewCookie(sess.Name(), encoded, sess.Options))
	return nil
}

// encodeData encodes what the session's row keeps beside the admin: its
// flash messages.
func (st *serverStore) encodeData(sess *sessions.Session) (string, error) {
	vals := maps.Clone(sess.Values)
	delete(vals, keyUserID)
	delete(vals, keySessionID)
	if len(vals) == 0 {
		return "", nil
	}
	return securecookie.EncodeMulti(sess.Name(), vals, st.codecs...)
}
