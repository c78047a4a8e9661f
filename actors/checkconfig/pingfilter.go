package checkconfig

import (
	"strings"
	"unicode/utf8"

	"github.com/ttr-rip/ttr/messages"
)

// MaxKeywordsLen is the longest keyword list (start_kw, success_kw, failure_kw) or email
// subject option, in characters, as healthchecks.io allows.
const MaxKeywordsLen = 200

// validatePingFilter checks the ping filter's options: methods is "" or "POST" (exactly, as
// healthchecks.io takes it), each text at most MaxKeywordsLen characters without NUL.
func validatePingFilter(f *messages.PingFilter) error {
	if f.Methods != messages.MethodsAny && f.Methods != messages.MethodsPOST {
		return invalid(`methods must be "" (any method) or "POST"`)
	}
	for _, t := range []struct{ name, v string }{
		{"start_kw", f.StartKw}, {"success_kw", f.SuccessKw}, {"failure_kw", f.FailureKw},
		{"subject", f.Subject}, {"subject_fail", f.SubjectFail},
	} {
		if n := utf8.RuneCountInString(t.v); n > MaxKeywordsLen {
			return invalid("%s must be at most %d characters (it has %d)", t.name, MaxKeywordsLen, n)
		}
		if strings.ContainsRune(t.v, 0) || !utf8.ValidString(t.v) {
			return invalid("%s must be valid text without NUL characters", t.name)
		}
	}
	return nil
}

// applyPingFilter sets the ping filter's fields edit sets.
func applyPingFilter(c *messages.PingFilter, edit *messages.CheckEdit) {
	setString(&c.Methods, edit.Methods)
	set(&c.FilterHTTPBody, edit.FilterHttpBody)
	setString(&c.StartKw, edit.StartKw)
	setString(&c.SuccessKw, edit.SuccessKw)
	setString(&c.FailureKw, edit.FailureKw)
	set(&c.FilterDefaultFail, edit.FilterDefaultFail)
	set(&c.FilterSubject, edit.FilterSubject)
	set(&c.FilterBody, edit.FilterBody)
	setString(&c.Subject, edit.Subject)
	setString(&c.SubjectFail, edit.SubjectFail)
}

// isSetPingFilter reports whether edit sets ping filter field f (false for other fields).
func isSetPingFilter(e *messages.CheckEdit, f messages.CheckField) bool {
	switch f {
	case messages.CheckField_CHECK_FIELD_METHODS:
		return e.Methods != nil
	case messages.CheckField_CHECK_FIELD_FILTER_HTTP_BODY:
		return e.FilterHttpBody != nil
	case messages.CheckField_CHECK_FIELD_START_KW:
		return e.StartKw != nil
	case messages.CheckField_CHECK_FIELD_SUCCESS_KW:
		return e.SuccessKw != nil
	case messages.CheckField_CHECK_FIELD_FAILURE_KW:
		return e.FailureKw != nil
	case messages.CheckField_CHECK_FIELD_FILTER_DEFAULT_FAIL:
		return e.FilterDefaultFail != nil
	case messages.CheckField_CHECK_FIELD_FILTER_SUBJECT:
		return e.FilterSubject != nil
	case messages.CheckField_CHECK_FIELD_FILTER_BODY:
		return e.FilterBody != nil
	case messages.CheckField_CHECK_FIELD_SUBJECT:
		return e.Subject != nil
	case messages.CheckField_CHECK_FIELD_SUBJECT_FAIL:
		return e.SubjectFail != nil
	}
	return false
}

// resetPingFilter gives ping filter field f of c its default from def; false when f is not
// one of the ping filter's fields.
func resetPingFilter(c, def *messages.PingFilter, f messages.CheckField) bool {
	switch f {
	case messages.CheckField_CHECK_FIELD_METHODS:
		c.Methods = def.Methods
	case messages.CheckField_CHECK_FIELD_FILTER_HTTP_BODY:
		c.FilterHTTPBody = def.FilterHTTPBody
	case messages.CheckField_CHECK_FIELD_START_KW:
		c.StartKw = def.StartKw
	case messages.CheckField_CHECK_FIELD_SUCCESS_KW:
		c.SuccessKw = def.SuccessKw
	case messages.CheckField_CHECK_FIELD_FAILURE_KW:
		c.FailureKw = def.FailureKw
	case messages.CheckField_CHECK_FIELD_FILTER_DEFAULT_FAIL:
		c.FilterDefaultFail = def.FilterDefaultFail
	case messages.CheckField_CHECK_FIELD_FILTER_SUBJECT:
		c.FilterSubject = def.FilterSubject
	case messages.CheckField_CHECK_FIELD_FILTER_BODY:
		c.FilterBody = def.FilterBody
	case messages.CheckField_CHECK_FIELD_SUBJECT:
		c.Subject = def.Subject
	case messages.CheckField_CHECK_FIELD_SUBJECT_FAIL:
		c.SubjectFail = def.SubjectFail
	default:
		return false
	}
	return true
}
