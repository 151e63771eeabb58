package mail

// The account e-mails. url is the single-use link the recipient opens.

// Confirm asks a new account to confirm its e-mail address.
func Confirm(to, url string) Message {
	return Message{To: to, Subject: "Confirm your account", Text: "Hi " + to + ",\n\n" +
		"Please confirm your account by visiting the link below:\n\n" + url + "\n\n" +
		"The link is valid for 7 days. If you didn't create an account with us, please ignore this e-mail.\n"}
}

// MagicLink carries a passwordless log-in link.
func MagicLink(to, url string) Message {
	return Message{To: to, Subject: "Your log-in link", Text: "Hi " + to + ",\n\n" +
		"You can log into your account by visiting the link below:\n\n" + url + "\n\n" +
		"The link is valid for 15 minutes and can be used once. If you didn't request this e-mail, please ignore it.\n"}
}

// ResetPassword carries a password-reset link.
func ResetPassword(to, url string) Message {
	return Message{To: to, Subject: "Reset your password", Text: "Hi " + to + ",\n\n" +
		"You can reset your password by visiting the link below:\n\n" + url + "\n\n" +
		"The link is valid for 1 day and can be used once. If you didn't request this change, please ignore this e-mail.\n"}
}

// ChangeEmail asks the owner of a new address to confirm an e-mail change.
func ChangeEmail(to, url string) Message {
	return Message{To: to, Subject: "Confirm your new e-mail address", Text: "Hi " + to + ",\n\n" +
		"You can change your account's e-mail address to this one by visiting the link below:\n\n" + url + "\n\n" +
		"The link is valid for 7 days. If you didn't request this change, please ignore this e-mail.\n"}
}

// Activated tells a user that an administrator activated the account.
func Activated(to, url string) Message {
	return Message{To: to, Subject: "Your account is active", Text: "Hi " + to + ",\n\n" +
		"An administrator activated your account. You can log in here:\n\n" + url + "\n"}
}
