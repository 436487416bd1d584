// Command terraform-provider-dgtest is the Terraform provider that driftgate's
// tests run real Terraform against.
//
// Every object it manages is a JSON file under a backing directory (the
// provider's root), so a test creates real drift by editing or deleting those
// files behind Terraform's back. It also has a data source, dgtest_wait, that
// sleeps until its context is cancelled, for testing interrupted runs.
//
// Tests do not run this binary by hand: package test/tftest builds it and
// installs it into a filesystem mirror under the address
// registry.terraform.io/driftgate/dgtest.
package main

import (
	"context"
	"flag"
	"log"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
)

// address is the provider's full source address.
const address = "registry.terraform.io/driftgate/dgtest"

// version is the provider's version; the test mirror installs it as this
// version.
var version = "0.1.0"

func main() {
	var debug bool
	flag.BoolVar(&debug, "debug", false, "run the provider with support for debuggers such as delve")
	flag.Parse()

	err := providerserver.Serve(context.Background(), newProvider(version), providerserver.ServeOpts{
		Address: address,
		Debug:   debug,
	})
	if err != nil {
		log.Fatal(err)
	}
}
