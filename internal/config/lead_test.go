package config

import (
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/activity"
)

func TestLeads(t *testing.T) {
	c, err := Load(write(t, "prevent_lead: {name: Dr Amina Patel, email: amina.patel@nhs.net, phone: 0114 271 1900}\n"+
		"accountable_lead: {name: Jo Reeve, email: jo.reeve@nhs.net}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := (activity.Lead{Name: "Dr Amina Patel", Email: "amina.patel@nhs.net", Phone: "0114 271 1900"}); c.Lead() != want {
		t.Errorf("Lead() = %+v, want %+v", c.Lead(), want)
	}
	if c.Accountable().Name != "Jo Reeve" {
		t.Errorf("Accountable() = %+v", c.Accountable())
	}
	if !Default().Lead().IsZero() {
		t.Error("the defaults name a Prevent lead")
	}
	for text, want := range map[string]string{
		"prevent_lead: {email: a@nhs.net}\n":                     "prevent_lead.name",
		"prevent_lead: {name: A}\n":                              "prevent_lead.email",
		"prevent_lead: {name: A, email: not-an-address}\n":       "prevent_lead.email",
		"accountable_lead: {name: B, phone: 1}\n":                "accountable_lead.phone",
		"accountable_lead: {email: b@nhs.net}\n":                 "accountable_lead.name",
		"prevent_lead: {name: A, email: a@nhs.net, mobile: 1}\n": "prevent_lead.mobile",
	} {
		_, err := Load(write(t, text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one naming %s", text, err, want)
		}
	}
}
