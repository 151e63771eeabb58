// Package mail sends the server's e-mails (account confirmation, magic-link
// log-in, password reset, e-mail change, account activation). Mailer has two implementations:
// SMTP, used when SMTP_PASSWORD is configured, and Mailbox, an in-memory,
// bounded development mailbox shown at /dev/mailbox otherwise. The server
// never calls them from a request: it sends through a Queue, whose workers
// deliver in the background with retries.
//
// Messages are plain text. Their bodies carry single-use links, so they are
// never logged; the implementations log at most the subject.
package mail

import "context"

// Message is one outgoing plain-text e-mail.
type Message struct {
	To      string
	Subject string
	Text    string
}

// Mailer delivers messages. Send returns once the message was handed over
// (accepted by the SMTP relay, stored in the mailbox, or accepted by a
// Queue); it should give up when ctx ends.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}
