# A recommended starting point for a new Duo account: the global policy, account settings and
# how administrators sign in. Every choice is explained; change what does not fit, but know
# what you are giving up.
terraform {
  required_providers {
    duo = { source = "duo-rs/duo" }
  }
}

variable "timezone" {
  description = "The account's time zone, for reports and logs."
  type        = string
  default     = "UTC"
}

variable "fraud_email" {
  description = "Who hears when a user reports a push as fraudulent."
  type        = string
}

# The global policy applies wherever no custom policy does, so it is the floor for everyone.
resource "duo_global_policy" "this" {
  sections = jsonencode({
    # Users Duo does not know yet must enroll: "no-mfa" would let anyone with a password in.
    new_user = { new_user_behavior = "enroll" }
    authentication_methods = {
      # SMS and phone calls can be intercepted or SIM-swapped; push and security keys cannot.
      blocked_auth_list = ["sms", "phonecall"]
      # Verified Push defeats push fatigue: the user types a code shown on the login screen.
      require_verified_push = true
    }
  })
}

resource "duo_settings" "this" {
  timezone = var.timezone
  # Lock an account after 10 failed attempts: enough for typos, too few for guessing.
  lockout_threshold = 10
  # Users who have not signed in for 90 days are removed (Duo keeps them in its trash first).
  inactive_user_expiration = 90
  # The help desk may grant bypass only for a limited time.
  helpdesk_bypass = "limit"
  # A fraud report is an incident: make sure someone is told.
  fraud_email         = var.fraud_email
  fraud_email_enabled = true
}

# Administrators hold the keys to everyone's access, so their own sign-in is the strictest:
# no SMS or phone calls, and Verified Push with six digits.
resource "duo_admin_allowed_auth_methods" "this" {
  sms_enabled           = false
  voice_enabled         = false
  verified_push_enabled = true
  verified_push_length  = 6
}
