package rest

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/gamend-go/gamend/actors/notifications"
	"github.com/gamend-go/gamend/transport/views"
)

type notificationList struct {
	Body List[views.Notification]
}

type notificationOne struct {
	Body views.Notification
}

type sendNotificationInput struct {
	Body struct {
		UserID      string         `json:"user_id,omitempty" doc:"recipient (an accepted friend)"`
		RecipientID string         `json:"recipient_id,omitempty" doc:"alias of user_id"`
		Title       string         `json:"title,omitempty" required:"true" doc:"1–255 characters; the (sender, recipient, title) key upserts"`
		Content     string         `json:"content,omitempty" doc:"up to 10000 characters"`
		Metadata    map[string]any `json:"metadata,omitempty" doc:"JSON object up to 16 KiB; metadata.type must be a registered type"`
	}
}

type deleteNotificationsInput struct {
	Body json.RawMessage `doc:"{\"ids\":[\"<uuid>\", …]}"`
}

type deletedOutput struct {
	Body struct {
		Deleted int `json:"deleted"`
	}
}

type adminNotificationsInput struct {
	PageQuery
	UserID   string `query:"user_id" doc:"recipient id"`
	SenderID string `query:"sender_id"`
	Title    string `query:"title" doc:"substring, case-insensitive"`
}

type adminCreateNotificationInput struct {
	Body struct {
		SenderID    string         `json:"sender_id,omitempty" required:"true"`
		RecipientID string         `json:"recipient_id,omitempty" required:"true"`
		Title       string         `json:"title,omitempty" required:"true"`
		Content     string         `json:"content,omitempty"`
		Metadata    map[string]any `json:"metadata,omitempty"`
	}
}

type idPath struct {
	ID string `path:"id"`
}

func notificationError(err error) error {
	var verr *notifications.ValidationError
	switch {
	case errors.As(err, &verr):
		return ErrFields(http.StatusUnprocessableEntity, "validation_failed", verr.Fields)
	case errors.Is(err, notifications.ErrMissingRecipient):
		return ErrCode(http.StatusBadRequest, "missing_recipient")
	case errors.Is(err, notifications.ErrSelf):
		return ErrCode(http.StatusBadRequest, "cannot_notify_self")
	case errors.Is(err, notifications.ErrNotFriends), errors.Is(err, notifications.ErrRecipientUnknown):
		return ErrCode(http.StatusBadRequest, "not_friends")
	case errors.Is(err, notifications.ErrSenderUnknown):
		return ErrAuthFailed // the sender's account was deleted while the request ran
	case errors.Is(err, notifications.ErrTooMany):
		return ErrCode(http.StatusBadRequest, "too_many_notifications")
	case errors.Is(err, notifications.ErrNotFound):
		return ErrCode(http.StatusNotFound, "not_found")
	}
	return err
}

// unknownUserFields names the fields of an admin create whose user does
// not exist: {"sender_id":["does not exist"]}, recipient_id, or both.
func unknownUserFields(err error) FieldErrors {
	fields := FieldErrors{}
	if errors.Is(err, notifications.ErrSenderUnknown) {
		fields.Add("sender_id", "does not exist")
	}
	if errors.Is(err, notifications.ErrRecipientUnknown) {
		fields.Add("recipient_id", "does not exist")
	}
	return fields
}

func renderNotifications(list []notifications.Notification) []views.Notification {
	out := make([]views.Notification, len(list))
	for i, n := range list {
		out[i] = views.NewNotification(n)
	}
	return out
}

// MountNotifications registers API.md §4.9 and the notification routes of
// the admin API (§4.15).
func (s *Server) MountNotifications(svc *notifications.Service) {
	api := s.API
	maxPage := s.opts.MaxPageSize
	huma.Register(api, Op(http.MethodGet, "/api/v1/notifications", "list_notifications", "List my notifications (oldest first)", "Notifications", AuthBearer),
		func(ctx context.Context, in *PageQuery) (*notificationList, error) {
			p := in.Page(maxPage)
			list, total, err := svc.List(ctx, CurrentUser(ctx).ID, p.PageSize, p.Offset())
			if err != nil {
				return nil, err
			}
			out := &notificationList{}
			out.Body = List[views.Notification]{Data: renderNotifications(list), Meta: NewMeta(p, len(list), total, true)}
			return out, nil
		})

	send := Op(http.MethodPost, "/api/v1/notifications", "send_notification", "Send a notification to a friend", "Notifications", AuthBearer)
	send.DefaultStatus = http.StatusCreated
	send.SkipValidateBody = true
	huma.Register(api, send, func(ctx context.Context, in *sendNotificationInput) (*notificationOne, error) {
		recipient := in.Body.UserID
		if recipient == "" {
			recipient = in.Body.RecipientID
		}
		n, err := svc.Send(ctx, notifications.Create{SenderID: CurrentUser(ctx).ID, RecipientID: recipient,
			Title: in.Body.Title, Content: in.Body.Content, Metadata: in.Body.Metadata})
		if err != nil {
			return nil, notificationError(err)
		}
		return &notificationOne{Body: views.NewNotification(n)}, nil
	})

	del := Op(http.MethodDelete, "/api/v1/notifications", "delete_notifications", "Delete my notifications by id", "Notifications", AuthBearer)
	del.SkipValidateBody = true
	huma.Register(api, del, func(ctx context.Context, in *deleteNotificationsInput) (*deletedOutput, error) {
		var body struct {
			IDs []any `json:"ids"`
		}
		if len(in.Body) == 0 || json.Unmarshal(in.Body, &body) != nil || body.IDs == nil {
			return nil, ErrCode(http.StatusBadRequest, "ids parameter required (array)")
		}
		ids := make([]string, 0, len(body.IDs))
		for _, v := range body.IDs {
			if s, ok := v.(string); ok {
				ids = append(ids, s)
			}
		}
		n, err := svc.Delete(ctx, CurrentUser(ctx).ID, ids)
		if err != nil {
			return nil, err
		}
		out := &deletedOutput{}
		out.Body.Deleted = n
		return out, nil
	})

	read := Op(http.MethodPut, "/api/v1/notifications/{id}/read", "mark_notification_read", "Mark a notification read", "Notifications", AuthBearer)
	read.Description = "From the product docs (not upstream): 200 {} or 404."
	huma.Register(api, read, func(ctx context.Context, in *idPath) (*EmptyOutput, error) {
		if err := svc.MarkRead(ctx, CurrentUser(ctx).ID, in.ID); err != nil {
			return nil, notificationError(err)
		}
		return &EmptyOutput{}, nil
	})

	huma.Register(api, Op(http.MethodGet, "/api/v1/admin/notifications", "admin_list_notifications", "List notifications (newest first)", "Admin – Notifications", AuthAdmin),
		func(ctx context.Context, in *adminNotificationsInput) (*notificationList, error) {
			p := in.Page(maxPage)
			list, total, err := svc.AdminList(ctx, notifications.AdminFilter{RecipientID: in.UserID, SenderID: in.SenderID, Title: in.Title}, p.PageSize, p.Offset())
			if err != nil {
				return nil, err
			}
			out := &notificationList{}
			out.Body = List[views.Notification]{Data: renderNotifications(list), Meta: NewMeta(p, len(list), total, false)}
			return out, nil
		})

	create := Op(http.MethodPost, "/api/v1/admin/notifications", "admin_create_notification", "Create a notification (no friendship needed; upsert)", "Admin – Notifications", AuthAdmin)
	create.DefaultStatus = http.StatusCreated
	create.SkipValidateBody = true
	create.Description = "422 {\"error\":\"validation_failed\",\"errors\":{\"sender_id\":[\"does not exist\"]}} names each of sender_id and recipient_id that is not an existing user."
	huma.Register(api, create, func(ctx context.Context, in *adminCreateNotificationInput) (*notificationOne, error) {
		switch {
		case in.Body.SenderID == "":
			return nil, ErrCode(http.StatusBadRequest, "sender_id is required")
		case in.Body.RecipientID == "":
			return nil, ErrCode(http.StatusBadRequest, "recipient_id is required")
		}
		fields := FieldErrors{}
		for name, id := range map[string]string{"sender_id": in.Body.SenderID, "recipient_id": in.Body.RecipientID} {
			if !validUUID(id) {
				fields.Add(name, "is invalid")
			}
		}
		if len(fields) > 0 {
			return nil, ErrFields(http.StatusUnprocessableEntity, "validation_failed", fields)
		}
		n, err := svc.Create(ctx, notifications.Create{SenderID: in.Body.SenderID, RecipientID: in.Body.RecipientID,
			Title: in.Body.Title, Content: in.Body.Content, Metadata: in.Body.Metadata})
		if unknown := unknownUserFields(err); len(unknown) > 0 {
			return nil, ErrFields(http.StatusUnprocessableEntity, "validation_failed", unknown)
		}
		if err != nil {
			return nil, notificationError(err)
		}
		return &notificationOne{Body: views.NewNotification(n)}, nil
	})

	huma.Register(api, Op(http.MethodDelete, "/api/v1/admin/notifications/{id}", "admin_delete_notification", "Delete a notification", "Admin – Notifications", AuthAdmin),
		func(ctx context.Context, in *idPath) (*EmptyOutput, error) {
			if err := svc.AdminDelete(ctx, in.ID); err != nil {
				return nil, notificationError(err)
			}
			return &EmptyOutput{}, nil
		})
}
