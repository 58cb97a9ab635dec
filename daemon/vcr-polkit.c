/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Async polkit CheckAuthorization (see vcr-polkit.h). The subject is the
 * caller's unique bus name ("system-bus-name"), which polkit resolves to
 * its process and user itself; that avoids the PID-reuse races of passing
 * a PID. Callers with UID 0 are authorized without asking polkit.
 */
#define G_LOG_DOMAIN "vcr-polkit"

#include "config.h"

#include <errno.h>

#include "vcr-polkit.h"

#define POLKIT_FLAG_ALLOW_USER_INTERACTION 1u

typedef struct {
  sd_bus_message *call;
  VcrPolkitCallback callback;
  gpointer user_data;
  char *action;
} Check;

static void
check_free (Check *check)
{
  sd_bus_message_unref (check->call);
  g_free (check->action);
  g_free (check);
}

static int
reply_cb (sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  Check *check = userdata;
  const sd_bus_error *e = sd_bus_message_get_error (reply);
  int authorized = 0, challenge = 0;
  int r;

  if (e != NULL)
    {
      g_warning ("polkit check of %s failed: %s", check->action, e->message);
      check->callback (check->call, FALSE, e, check->user_data);
      check_free (check);
      return 0;
    }
  r = sd_bus_message_enter_container (reply, 'r', "bba{ss}");
  if (r >= 0)
    r = sd_bus_message_read (reply, "bb", &authorized, &challenge);
  if (r < 0)
    {
      sd_bus_error err = SD_BUS_ERROR_MAKE_CONST (SD_BUS_ERROR_FAILED,
                                                  "polkit sent a malformed reply");
      g_warning ("polkit sent a malformed reply: %s", g_strerror (-r));
      check->callback (check->call, FALSE, &err, check->user_data);
      check_free (check);
      return 0;
    }
  g_debug ("polkit: %s for %s: %s", check->action,
           sd_bus_message_get_sender (check->call), authorized ? "yes" : "no");
  check->callback (check->call, authorized != 0, NULL, check->user_data);
  check_free (check);
  return 0;
}

/* Step 2: ask polkit. */
static int
ask_polkit (Check *check)
{
  sd_bus_message *call = check->call;
  sd_bus *bus = sd_bus_message_get_bus (call);
  sd_bus_message *req = NULL;
  unsigned flags = 0;
  int r;

  if (sd_bus_message_get_allow_interactive_authorization (call) > 0)
    flags |= POLKIT_FLAG_ALLOW_USER_INTERACTION;
  r = sd_bus_message_new_method_call (bus, &req, "org.freedesktop.PolicyKit1",
                                      "/org/freedesktop/PolicyKit1/Authority",
                                      "org.freedesktop.PolicyKit1.Authority",
                                      "CheckAuthorization");
  if (r >= 0)
    r = sd_bus_message_append (req, "(sa{sv})sa{ss}us",
                               "system-bus-name", 1, "name", "s",
                               sd_bus_message_get_sender (call),
                               check->action, 0, flags, "");
  /* Interactive checks may wait for a human: no short timeout then. */
  if (r >= 0)
    r = sd_bus_call_async (bus, NULL, req, reply_cb, check,
                           flags ? UINT64_C (300) * 1000 * 1000 : 0);
  sd_bus_message_unref (req);
  return r;
}

/* Step 1: the caller's user, from the bus daemon (asynchronously: the
 * credentials sd-bus could fetch itself would be a blocking call). Root
 * is always authorized, as polkit itself would answer; this also keeps
 * root working on a router that runs no polkitd. */
static int
uid_cb (sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
  Check *check = userdata;
  const sd_bus_error *e = sd_bus_message_get_error (reply);
  uint32_t uid = G_MAXUINT32;
  int r;

  if (e == NULL && sd_bus_message_read (reply, "u", &uid) >= 0 && uid == 0)
    {
      g_debug ("%s for %s: root", check->action, sd_bus_message_get_sender (check->call));
      check->callback (check->call, TRUE, NULL, check->user_data);
      check_free (check);
      return 0;
    }
  r = ask_polkit (check);
  if (r < 0)
    {
      sd_bus_error err = SD_BUS_ERROR_MAKE_CONST (SD_BUS_ERROR_FAILED,
                                                  "cannot ask polkit");
      g_warning ("Cannot ask polkit: %s", g_strerror (-r));
      check->callback (check->call, FALSE, &err, check->user_data);
      check_free (check);
    }
  return 0;
}

int
vcr_polkit_check_async (sd_bus_message *call,
                        const char *action,
                        VcrPolkitCallback callback,
                        gpointer user_data)
{
  sd_bus *bus = sd_bus_message_get_bus (call);
  const char *sender = sd_bus_message_get_sender (call);
  Check *check;
  int r;

  if (sender == NULL)
    return -EBADMSG;
  check = g_new0 (Check, 1);
  check->call = sd_bus_message_ref (call);
  check->callback = callback;
  check->user_data = user_data;
  check->action = g_strdup (action);
  r = sd_bus_call_method_async (bus, NULL, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "GetConnectionUnixUser",
                                uid_cb, check, "s", sender);
  if (r < 0)
    check_free (check);
  return r;
}
