package pages

import (
	"fmt"
	"strings"
	"time"

	"github.com/jwt-micro-system/web-frontend/internal/authclient"
	"github.com/jwt-micro-system/web-frontend/internal/i18n"
)

// Form limits: generous for people, small for abuse. auth-api applies the
// real password rules.
const (
	MaxUsernameLen = 256
	MaxPasswordLen = 1024
)

// Codes of the login page's ?msg=, shown after a session ended. Only these
// fixed codes are shown, never text from the URL.
const (
	MsgExpired         = "expired"
	MsgLoggedOut       = "logged_out"
	MsgLoggedOutAll    = "logged_out_all"
	MsgPasswordChanged = "password_changed"
)

// EndedFlash is the message of the login page for ?msg=code, nil for an
// unknown code.
func EndedFlash(code string, L i18n.Texts) *Flash {
	switch code {
	case MsgExpired:
		return &Flash{Kind: "warning", Text: L["msg_expired"]}
	case MsgLoggedOut, MsgLoggedOutAll, MsgPasswordChanged:
		return &Flash{Kind: "info", Text: L["msg_"+code]}
	}
	return nil
}

// The fields of the account and admin forms.
const (
	FieldCurrent       = "current_password"
	FieldNew           = "new_password"
	FieldConfirmation  = "confirmation"
	FieldResetPassword = "password"
)

// CheckPasswordChange is what the account page's password form says
// before anything is sent to auth-api.
func CheckPasswordChange(current, next, again string, L i18n.Texts) Form {
	var f Form
	switch {
	case current == "":
		f.Fail(FieldCurrent, L["err_current_missing"])
	case len(current) > MaxPasswordLen:
		f.Fail(FieldCurrent, L["err_current_wrong"])
	}
	switch {
	case next == "":
		f.Fail(FieldNew, L["err_new_missing"])
	case len(next) > MaxPasswordLen:
		f.Fail(FieldNew, L["err_password_rule"])
	case again == "":
		f.Fail(FieldConfirmation, L["err_confirm_missing"])
	case again != next:
		f.Fail(FieldConfirmation, L["err_confirm_differs"])
	}
	return f
}

// CheckNewUser is what the admin page's create form says before anything
// is sent to auth-api; it keeps the name and role to show again.
func CheckNewUser(name, password, role string, L i18n.Texts) Form {
	f := Form{Values: map[string]string{"username": name, "role": role}}
	switch {
	case name == "":
		f.Fail("username", L["err_username_missing"])
	case len(name) > MaxUsernameLen:
		f.Fail("username", L["err_username_rule"])
	}
	if password == "" || len(password) > MaxPasswordLen {
		f.Fail("password", L["err_password_rule"])
	}
	return f
}

// CheckReset is what a row's reset form says before anything is sent.
func CheckReset(password string, L i18n.Texts) Form {
	var f Form
	if password == "" || len(password) > MaxPasswordLen {
		f.Fail(FieldResetPassword, L["err_password_rule"])
	}
	return f
}

// NewAdmin is the list of the admin page: users as auth-api lists them,
// self (the admin looking) marked.
func NewAdmin(users []authclient.User, self string, L i18n.Texts) *Admin {
	v := &Admin{Users: make([]UserRow, 0, len(users))}
	for _, u := range users {
		row := UserRow{Username: u.Username, Role: u.Role, Self: strings.EqualFold(u.Username, self),
			ResetLabel: fmt.Sprintf(L["reset_label"], u.Username)}
		if !u.CreatedAt.IsZero() {
			row.Created = u.CreatedAt.UTC().Format(TimeLayout)
			row.CreatedISO = u.CreatedAt.UTC().Format(time.RFC3339)
		}
		v.Users = append(v.Users, row)
	}
	return v
}
