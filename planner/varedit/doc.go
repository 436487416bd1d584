// Package varedit sets Terraform variable values in the files of an
// infrastructure repository the way a person would: in a .tfvars file, a
// .tfvars.json file, or a locals block or variable default of a .tf file,
// changing only the named values. Comments, ordering, alignment and every
// other value stay byte-for-byte, and a file that was `terraform fmt`-clean
// stays clean.
//
// Values are typed by the variable's declared type in the stacks that use
// the file (Declarations finds them): a value of the wrong type is refused
// with an error naming the variable and its type.
//
// The functions that compute an edit (Edit, Diff) are pure; Declarations
// reads the repository through an fs.FS.
package varedit
