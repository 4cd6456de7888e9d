package annual

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Formats are the report's formats, the first the default.
var Formats = []string{"html", "pdf", "xlsx"}

// SourceFor is the report's source from the config: the provider, its
// threshold and rules, the training plan, the leads (prevent_lead,
// accountable_lead) and the RAG colours (rag:), each left out when the
// config does not give it.
func SourceFor(s *store.Store, cfg *config.Config, now time.Time) Source {
	pol := cfg.Policy()
	src := Source{Store: s, Policy: pol, Provider: returns.Provider{Name: cfg.Organisation, ODSCode: cfg.ODSCode},
		Plan: cfg.Plan(), Now: now, Lead: cfg.Lead(), By: cfg.ReturnBy(),
		Leads: Leads{Prevent: contact(cfg.Lead()), Accountable: contact(cfg.Accountable())}}
	if pol.RedBelow > 0 {
		src.RAG = func(t compliance.Tally) string { return t.RAG(pol.Threshold, pol.RedBelow) }
	}
	return src
}

// contact is a lead's name and email as the report shows them.
func contact(l activity.Lead) Contact {
	return Contact{Name: strings.TrimSpace(l.Name), Email: strings.TrimSpace(l.Email)}
}

// Write writes the report in a format: html, pdf or xlsx.
func (r *Report) Write(w io.Writer, format string) error {
	switch format {
	case "html", "":
		return r.WriteHTML(w)
	case "pdf":
		return r.WritePDF(w)
	case "xlsx":
		return r.WriteXLSX(w)
	}
	return fmt.Errorf("unknown format %q (want html, pdf or xlsx)", format)
}

// ContentType is a format's MIME type.
func ContentType(format string) string {
	switch format {
	case "pdf":
		return "application/pdf"
	case "xlsx":
		return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
	}
	return "text/html; charset=utf-8"
}

// Subject is the email subject.
func (r *Report) Subject() string {
	who := r.Provider.Name
	if r.Provider.ODSCode != "" {
		who += " (" + r.Provider.ODSCode + ")"
	}
	return fmt.Sprintf("%s: %s", r.Title(), who)
}

// Message is the email to the board's secretary or lead: the headline in
// the body, the report as PDF and its tables as XLSX attached.
func (r *Report) Message(from string) (*mail.Message, error) {
	var pdf, xlsx bytes.Buffer
	if err := r.WritePDF(&pdf); err != nil {
		return nil, err
	}
	if err := r.WriteXLSX(&xlsx); err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s\n\n%s\n\n%s\n\n%s\n\nThe report is attached as a PDF, with its tables as a workbook. Neither holds a name, an employee number or a staff email address.\n",
		r.Title()+" for "+r.Provider.Name+".", r.Period(), r.Verdict(), r.PlanSentence())
	return &mail.Message{From: from, Subject: r.Subject(), Text: body, Attachments: []mail.Attachment{
		{Name: r.FileName() + ".pdf", ContentType: ContentType("pdf"), Data: pdf.Bytes()},
		{Name: r.FileName() + ".xlsx", ContentType: ContentType("xlsx"), Data: xlsx.Bytes()},
	}}, nil
}
