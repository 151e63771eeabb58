package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/mail"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// STARTTLS policies (SMTP_TLS).
const (
	StartTLSNever       = "never"
	StartTLSIfAvailable = "if_available"
	StartTLSAlways      = "always"
)

// SMTPConfig is the relay configuration (SMTP_* variables).
type SMTPConfig struct {
	Relay    string // host name or address of the relay
	Port     int
	Username string // "" = no SMTP AUTH
	Password string
	// SSL connects with implicit TLS (SMTP_SSL, usually port 465).
	SSL bool
	// StartTLS is the STARTTLS policy when SSL is off: StartTLSNever,
	// StartTLSIfAvailable or StartTLSAlways ("" = never).
	StartTLS string
	// ServerName is the TLS server name (SMTP_SNI); "" = Relay.
	ServerName string
	FromName   string
	FromEmail  string
	// Timeout bounds connecting and each command (default 15 s).
	Timeout time.Duration
	// TLSConfig, when set, is the base TLS configuration (for a private CA);
	// ServerName is filled in from ServerName/Relay when empty.
	TLSConfig *tls.Config
}

// SMTP is the Mailer that hands messages to an SMTP relay, one connection
// per message. Credentials are only ever sent over TLS, or to a relay on
// the loopback interface.
type SMTP struct {
	cfg  SMTPConfig
	opts []gomail.Option
}

// NewSMTP validates cfg and returns the mailer. It does not connect.
func NewSMTP(cfg SMTPConfig) (*SMTP, error) {
	if cfg.Relay == "" {
		return nil, errors.New("mail: SMTP_RELAY is required when SMTP_PASSWORD is set")
	}
	if _, err := mail.ParseAddress(cfg.FromEmail); err != nil {
		return nil, fmt.Errorf("mail: SMTP_FROM_EMAIL %q is not an e-mail address", cfg.FromEmail)
	}
	if cfg.Port == 0 {
		cfg.Port = 465
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 15 * time.Second
	}
	tlsCfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if cfg.TLSConfig != nil {
		tlsCfg = cfg.TLSConfig.Clone()
	}
	if tlsCfg.ServerName == "" {
		tlsCfg.ServerName = cfg.ServerName
		if tlsCfg.ServerName == "" {
			tlsCfg.ServerName = cfg.Relay
		}
	}
	opts := []gomail.Option{
		gomail.WithPort(cfg.Port),
		gomail.WithTimeout(cfg.Timeout),
		gomail.WithTLSConfig(tlsCfg),
	}
	switch {
	case cfg.SSL:
		opts = append(opts, gomail.WithSSL(), gomail.WithTLSPolicy(gomail.NoTLS))
	case cfg.StartTLS == StartTLSAlways:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case cfg.StartTLS == StartTLSIfAvailable:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case cfg.StartTLS == StartTLSNever || cfg.StartTLS == "":
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	default:
		return nil, fmt.Errorf("mail: SMTP_TLS must be never, if_available or always, got %q", cfg.StartTLS)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	return &SMTP{cfg: cfg, opts: opts}, nil
}

// Send delivers m through the relay. Failures a retry cannot fix (an
// address that does not parse, a 5xx reply) are marked Permanent.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.FromFormat(s.cfg.FromName, s.cfg.FromEmail); err != nil {
		return Permanent(fmt.Errorf("mail: from address: %w", err))
	}
	if err := msg.To(m.To); err != nil {
		return Permanent(fmt.Errorf("mail: recipient address: %w", err))
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetMessageID()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)

	client, err := gomail.NewClient(s.cfg.Relay, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: smtp client: %w", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		err = fmt.Errorf("mail: smtp send via %s:%d: %w", s.cfg.Relay, s.cfg.Port, err)
		var se *gomail.SendError
		if errors.As(err, &se) && se.ErrorCode() >= 500 && se.ErrorCode() < 600 {
			return Permanent(err)
		}
		return err
	}
	return nil
}
