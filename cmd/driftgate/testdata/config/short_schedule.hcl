repo "a" {
  url            = "file:///tmp/a"
  drift_schedule = "@every -1h"
}
