package main

import (
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"strings"

	"github.com/hashicorp/hcl/v2"
)

// TLSConfig is the tls block: how the API, webhooks and UI are served over
// HTTPS. Exactly one of a certificate pair (CertFile and KeyFile) or ACME
// is set; without the block driftgate serves plain HTTP.
type TLSConfig struct {
	CertFile string
	KeyFile  string
	// ACME, when not nil, gets certificates automatically.
	ACME *ACMEConfig
}

// Enabled reports whether HTTPS is configured.
func (c TLSConfig) Enabled() bool { return c.CertFile != "" || c.ACME != nil }

// ACMEConfig is the tls block's acme block.
type ACMEConfig struct {
	Domains  []string
	Email    string
	CacheDir string
	// DirectoryURL is the ACME server's directory; empty is Let's Encrypt.
	DirectoryURL string
	// CAFile, when set, is the PEM CA that signed a private ACME server's
	// own HTTPS certificate (step-ca, an internal server).
	CAFile string
	// HTTPListen, when set, serves HTTP-01 challenges (and redirects to
	// https) on that address; without it only TLS-ALPN-01 on listen is
	// answered.
	HTTPListen string
}

type tlsBlock struct {
	CertFile *string    `hcl:"cert_file,optional"`
	KeyFile  *string    `hcl:"key_file,optional"`
	ACME     *acmeBlock `hcl:"acme,block"`
	Body     hcl.Body   `hcl:",body"`
	DefRange hcl.Range  `hcl:",def_range"`
}

type acmeBlock struct {
	Domains      []string `hcl:"domains"`
	Email        *string  `hcl:"email,optional"`
	CacheDir     *string  `hcl:"cache_dir,optional"`
	DirectoryURL *string  `hcl:"directory_url,optional"`
	CAFile       *string  `hcl:"ca_file,optional"`
	HTTPListen   *string  `hcl:"http_listen,optional"`
	Body         hcl.Body `hcl:",body"`
}

// decodeTLS decodes the tls block, when there is one, into out. The
// certificate files must exist and be readable; whether they load is
// checked when the server starts (and at every reload).
func decodeTLS(tb *tlsBlock, baseDir, dataDir string, out *TLSConfig) hcl.Diagnostics {
	if tb == nil {
		return nil
	}
	pair := tb.CertFile != nil || tb.KeyFile != nil
	if pair == (tb.ACME != nil) {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError,
			Summary:  "Invalid tls block",
			Detail: "Set either cert_file and key_file (PEM files of a certificate chain and its private key) " +
				"or an acme block (automatic certificates), not both and not neither.",
			Subject: tb.DefRange.Ptr(),
		}}
	}
	if tb.ACME != nil {
		return decodeACME(tb.ACME, baseDir, dataDir, out)
	}
	var diags hcl.Diagnostics
	for _, f := range []struct {
		attr string
		val  *string
		dst  *string
		what string
	}{
		{"cert_file", tb.CertFile, &out.CertFile, "the PEM certificate chain"},
		{"key_file", tb.KeyFile, &out.KeyFile, "the PEM private key"},
	} {
		if f.val == nil {
			diags = append(diags, attrError(tb.Body, f.attr, "Missing "+f.attr,
				fmt.Sprintf("A tls block with a certificate needs both cert_file and key_file; set %s to the file of %s.", f.attr, f.what)))
			continue
		}
		*f.dst = absPath(baseDir, *f.val)
		if st, err := os.Stat(*f.dst); err != nil || st.IsDir() {
			diags = append(diags, attrError(tb.Body, f.attr, "TLS file not readable",
				fmt.Sprintf("%s is not a readable file. Point %s at the file of %s.", *f.dst, f.attr, f.what)))
		}
	}
	return diags
}

func decodeACME(ab *acmeBlock, baseDir, dataDir string, out *TLSConfig) hcl.Diagnostics {
	var diags hcl.Diagnostics
	ac := &ACMEConfig{Domains: ab.Domains, CacheDir: filepath.Join(dataDir, "acme")}
	if len(ab.Domains) == 0 {
		diags = append(diags, attrError(ab.Body, "domains", "No ACME domains",
			`List the host names to get certificates for, for example domains = ["driftgate.example.com"].`))
	}
	for i, d := range ab.Domains {
		if d == "" || strings.ContainsAny(d, " /:*") || !strings.Contains(d, ".") {
			diags = append(diags, attrElemError(ab.Body, "domains", i, "Invalid ACME domain",
				fmt.Sprintf("%q is not a host name a certificate can be issued for. Use a fully qualified name such as \"driftgate.example.com\" (no scheme, port or wildcard).", d)))
		}
	}
	if ab.Email != nil {
		if _, err := mail.ParseAddress(*ab.Email); err != nil {
			diags = append(diags, attrError(ab.Body, "email", "Invalid ACME email",
				fmt.Sprintf("%q is not an email address; the ACME server writes to it about expiring certificates.", *ab.Email)))
		}
		ac.Email = *ab.Email
	}
	if ab.CacheDir != nil {
		ac.CacheDir = absPath(baseDir, *ab.CacheDir)
	}
	if ab.DirectoryURL != nil {
		if !strings.HasPrefix(*ab.DirectoryURL, "https://") {
			diags = append(diags, attrError(ab.Body, "directory_url", "Invalid ACME directory URL",
				fmt.Sprintf("%q is not an https:// URL. Leave directory_url out to use Let's Encrypt.", *ab.DirectoryURL)))
		}
		ac.DirectoryURL = *ab.DirectoryURL
	}
	if ab.CAFile != nil {
		ac.CAFile = absPath(baseDir, *ab.CAFile)
		if st, err := os.Stat(ac.CAFile); err != nil || st.IsDir() {
			diags = append(diags, attrError(ab.Body, "ca_file", "TLS file not readable",
				fmt.Sprintf("%s is not a readable file. Point ca_file at the PEM certificate of the CA that signed the ACME server's HTTPS certificate, or leave it out.", ac.CAFile)))
		}
	}
	if ab.HTTPListen != nil {
		if d := checkListen(ab.Body, "http_listen", *ab.HTTPListen); d != nil {
			diags = append(diags, d)
		}
		ac.HTTPListen = *ab.HTTPListen
	}
	out.ACME = ac
	return diags
}
