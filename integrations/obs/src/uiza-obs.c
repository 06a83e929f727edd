/*
 * uiza-obs: an OBS Studio streaming service ("Uiza Live", id uiza_live)
 * whose ingest URL and stream key come from a Uiza live entity, with a
 * button and a hotkey that rotate the stream key through libuiza.
 *
 * Threads. libuiza runs the API calls on its own worker threads and calls
 * back there; the callback only copies the outcome and hands it to OBS's
 * UI thread with obs_queue_task(OBS_TASK_UI). The cached URL, key and
 * status are replaced on the UI thread only, and a new key waits while an
 * output that uses the service is reconnecting (its reconnect thread reads
 * the key then).
 *
 * Lifetime. The service and its in-flight calls share a small refcounted
 * struct (struct shared). Destroying the service cancels its calls and
 * detaches it from the shared struct under its lock; a late callback then
 * finds no service, drops its result and lets go of the shared struct,
 * which whichever side lets go last frees.
 *
 * Secrets. The API key and stream keys are never logged and never put in
 * the status text.
 */
#if !defined(_WIN32) && !defined(_GNU_SOURCE)
#define _GNU_SOURCE /* dladdr */
#endif

#include <obs-module.h>
#include <util/bmem.h>
#include <util/platform.h>
#include <util/threading.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#ifdef _WIN32
#include <windows.h>
#else
#include <dlfcn.h>
#endif

#include <uiza.h>

OBS_DECLARE_MODULE()
OBS_MODULE_USE_DEFAULT_LOCALE("uiza-obs", "en-US")

#define SERVICE_ID "uiza_live"
#define HOTKEY_NAME "uiza_live.rotate_key"
#define DEFAULT_BASE_URL "https://api.uiza.sh"
/* How often a new key that waits for a reconnecting output looks again. */
#define RECONNECT_POLL_MS 100
/* How long unloading the module waits for libuiza callbacks to return. */
#define UNLOAD_WAIT_MS 5000

#define T(key) obs_module_text(key)

/* libuiza callbacks and reconnect waits that have not returned yet. */
static volatile long calls_in_flight = 0;

struct uiza_service;

/* Shared by a service and its in-flight calls; freed by the last one. */
struct shared {
	volatile long refs;
	pthread_mutex_t lock;
	/* The service, or NULL once it is destroyed. Guarded by lock, and so
	 * is everything in the service that a call's result touches. */
	struct uiza_service *svc;
	/* The service's address, only ever compared (never dereferenced):
	 * how the UI thread finds the outputs that use the service. */
	const void *owner;
};

struct uiza_service {
	obs_service_t *owner;
	struct shared *shared;
	obs_hotkey_id hotkey;

	UizaClient *client;      /* NULL when not configured */
	UizaCancelToken *token;  /* cancels this configuration's calls */
	char *entity_id;         /* NULL when not configured */
	unsigned long generation; /* bumped by every configuration */
	bool rotating;

	/* What outputs get. The previous values stay allocated until the
	 * next replacement, so a reader that fetched a pointer just before a
	 * switch still holds valid memory while it copies it. */
	char *url;
	char *key;
	char *old_url;
	char *old_key;
};

enum call_kind { CALL_READ, CALL_ROTATE };

/* One API call, then its outcome on its way to the UI thread. */
struct call {
	struct shared *shared; /* one reference, held until the call is freed */
	enum call_kind kind;
	unsigned long generation;
	bool deferred;
	UizaStatus status;
	bool rotated_unknown;
	char *url;
	char *key;
	char *message;
};

/* ---- shared state -------------------------------------------------- */

static void shared_ref(struct shared *sh)
{
	os_atomic_inc_long(&sh->refs);
}

static void shared_release(struct shared *sh)
{
	if (os_atomic_dec_long(&sh->refs) == 0) {
		pthread_mutex_destroy(&sh->lock);
		bfree(sh);
	}
}

static struct call *call_new(struct uiza_service *svc, enum call_kind kind)
{
	struct call *c = bzalloc(sizeof(*c));
	c->shared = svc->shared;
	c->kind = kind;
	c->generation = svc->generation;
	shared_ref(c->shared);
	os_atomic_inc_long(&calls_in_flight);
	return c;
}

static void call_free(struct call *c)
{
	shared_release(c->shared);
	bfree(c->url);
	bfree(c->key);
	bfree(c->message);
	bfree(c);
}

/* For a call that libuiza refused: its callback will never run. */
static void call_abandon(struct call *c)
{
	call_free(c);
	os_atomic_dec_long(&calls_in_flight);
}

/* ---- status and published values (lock held) ---------------------- */

static void set_status(struct uiza_service *svc, const char *text)
{
	obs_data_t *settings = obs_service_get_settings(svc->owner);
	obs_data_set_string(settings, "status", text);
	obs_data_release(settings);
}

/* "<prefix> 14:03:07" in local time. */
static void set_status_at(struct uiza_service *svc, const char *prefix)
{
	char text[256];
	char clock[16] = "";
	time_t now = time(NULL);
	struct tm tm;
#ifdef _WIN32
	bool have_tm = localtime_s(&tm, &now) == 0;
#else
	bool have_tm = localtime_r(&now, &tm) != NULL;
#endif
	if (have_tm)
		strftime(clock, sizeof(clock), "%H:%M:%S", &tm);
	snprintf(text, sizeof(text), "%s %s", prefix, clock);
	set_status(svc, text);
}

static void publish(struct uiza_service *svc, const char *url, const char *key)
{
	bfree(svc->old_url);
	bfree(svc->old_key);
	svc->old_url = svc->url;
	svc->old_key = svc->key;
	svc->url = bstrdup(url ? url : "");
	svc->key = bstrdup(key ? key : "");
}

/* ---- libuiza callback (worker thread) ------------------------------ */

static void apply_task(void *param);

static void on_result(void *user_data, UizaStatus status, const char *json)
{
	struct call *c = user_data;
	c->status = status;
	if (status == UIZA_STATUS_OK) {
		UizaLiveEntity *entity = NULL;
		if (uiza_live_entity_parse(json, &entity) == UIZA_STATUS_OK &&
		    uiza_live_entity_ingest_key(entity) != NULL) {
			c->url = bstrdup(uiza_live_entity_ingest_url(entity));
			c->key = bstrdup(uiza_live_entity_ingest_key(entity));
		} else {
			/* An entity without an ingest (init state). */
			c->status = UIZA_STATUS_INVALID_RESPONSE;
			c->message = bstrdup(T("Status.NoIngest"));
		}
		uiza_live_entity_free(entity);
	} else {
		UizaError *error = NULL;
		if (json != NULL &&
		    uiza_error_parse(json, &error) == UIZA_STATUS_OK)
			c->message = bstrdup(uiza_error_message(error));
		else
			c->message = bstrdup(uiza_status_str(status));
		uiza_error_free(error);
		c->rotated_unknown = c->kind == CALL_ROTATE && json != NULL &&
				     strstr(json, "\"rotated\":null") != NULL;
	}
	obs_queue_task(OBS_TASK_UI, apply_task, c, false);
	os_atomic_dec_long(&calls_in_flight);
}

/* ---- starting calls (lock held) ------------------------------------ */

static void start_read(struct uiza_service *svc)
{
	struct call *c = call_new(svc, CALL_READ);
	if (uiza_client_get_live_entity_async(svc->client, svc->entity_id,
					      svc->token, on_result,
					      c) != UIZA_STATUS_OK) {
		call_abandon(c);
		set_status(svc, T("Status.BadEntityId"));
		return;
	}
	if (svc->key[0] == '\0')
		set_status(svc, T("Status.Reading"));
}

static void start_rotation(struct uiza_service *svc)
{
	if (svc->client == NULL || svc->entity_id == NULL) {
		set_status(svc, T("Status.NotConfigured"));
		return;
	}
	if (svc->rotating) {
		set_status(svc, T("Status.RotateBusy"));
		return;
	}
	struct call *c = call_new(svc, CALL_ROTATE);
	/* The key outputs use now; NULL (not read yet) lets libuiza read it. */
	const char *current = svc->key[0] != '\0' ? svc->key : NULL;
	if (uiza_client_rotate_stream_key_async(svc->client, svc->entity_id,
						current, svc->token, on_result,
						c) != UIZA_STATUS_OK) {
		call_abandon(c);
		set_status(svc, T("Status.BadEntityId"));
		return;
	}
	svc->rotating = true;
	set_status(svc, T("Status.Rotating"));
	blog(LOG_INFO, "[uiza-obs] rotating the stream key of live entity %s",
	     svc->entity_id);
}

/* ---- results (UI thread) ------------------------------------------- */

static bool find_reconnecting(void *param, obs_output_t *output)
{
	const void **state = param; /* [0]: the service, [1]: found */
	if ((const void *)obs_output_get_service(output) == state[0] &&
	    obs_output_reconnecting(output)) {
		state[1] = output;
		return false;
	}
	return true;
}

/* Whether an output that uses the service is reconnecting right now. */
static bool output_reconnecting(struct shared *sh)
{
	pthread_mutex_lock(&sh->lock);
	bool alive = sh->svc != NULL;
	pthread_mutex_unlock(&sh->lock);
	if (!alive)
		return false; /* the result will be dropped */
	const void *state[2] = {sh->owner, NULL};
	obs_enum_outputs(find_reconnecting, (void *)state);
	return state[1] != NULL;
}

static void *requeue_later(void *param)
{
	os_set_thread_name("uiza-obs: wait for reconnect");
	os_sleep_ms(RECONNECT_POLL_MS);
	obs_queue_task(OBS_TASK_UI, apply_task, param, false);
	os_atomic_dec_long(&calls_in_flight);
	return NULL;
}

/* Runs apply_task again on the UI thread in a little while. */
static bool defer(struct call *c)
{
	pthread_t thread;
	os_atomic_inc_long(&calls_in_flight);
	if (pthread_create(&thread, NULL, requeue_later, c) != 0) {
		os_atomic_dec_long(&calls_in_flight);
		return false;
	}
	pthread_detach(thread);
	return true;
}

static void apply(struct uiza_service *svc, struct call *c)
{
	if (c->kind == CALL_ROTATE)
		svc->rotating = false;

	if (c->status == UIZA_STATUS_OK) {
		publish(svc, c->url, c->key);
		if (c->kind == CALL_ROTATE) {
			set_status_at(svc, T("Status.Rotated"));
			blog(LOG_INFO, "[uiza-obs] stream key rotated");
		} else {
			set_status_at(svc, T("Status.Loaded"));
			blog(LOG_INFO, "[uiza-obs] live entity read");
		}
		return;
	}

	blog(LOG_WARNING, "[uiza-obs] %s failed: %s (%s)",
	     c->kind == CALL_ROTATE ? "rotation" : "reading the live entity",
	     c->message, uiza_status_str(c->status));
	if (c->status == UIZA_STATUS_CANCELLED)
		return; /* a newer configuration took over */
	if (c->rotated_unknown) {
		/* The key may have changed: learn the current one. */
		char text[512];
		snprintf(text, sizeof(text), "%s %s", c->message,
			 T("Status.RotatedUnknown"));
		start_read(svc);
		set_status(svc, text);
		return;
	}
	set_status(svc, c->message);
}

static void apply_task(void *param)
{
	struct call *c = param;
	struct shared *sh = c->shared;

	/* A new key waits while an output that uses the service reconnects:
	 * its reconnect thread reads the key. (An output that starts to
	 * reconnect right after this check first waits its retry delay.) */
	if (c->status == UIZA_STATUS_OK && output_reconnecting(sh)) {
		if (!c->deferred && c->kind == CALL_ROTATE) {
			pthread_mutex_lock(&sh->lock);
			if (sh->svc != NULL &&
			    sh->svc->generation == c->generation)
				set_status(sh->svc, T("Status.WaitingReconnect"));
			pthread_mutex_unlock(&sh->lock);
		}
		c->deferred = true;
		if (defer(c))
			return;
	}

	pthread_mutex_lock(&sh->lock);
	struct uiza_service *svc = sh->svc;
	if (svc == NULL)
		blog(LOG_INFO, "[uiza-obs] a result for a destroyed service "
			       "was dropped");
	else if (c->generation == svc->generation)
		apply(svc, c);
	else if (c->kind == CALL_ROTATE && c->status == UIZA_STATUS_OK &&
		 svc->client != NULL)
		/* The settings changed while this rotation ran, and it did
		 * rotate: the current configuration's read may have seen the
		 * key before the rotation, so read again. */
		start_read(svc);
	pthread_mutex_unlock(&sh->lock);
	call_free(c);
}

/* ---- hotkey and button --------------------------------------------- */

static void hotkey_task(void *param)
{
	struct shared *sh = param;
	pthread_mutex_lock(&sh->lock);
	if (sh->svc != NULL)
		start_rotation(sh->svc);
	pthread_mutex_unlock(&sh->lock);
	shared_release(sh);
}

/* Runs on the hotkey thread: the rotation starts on the UI thread. */
static void rotate_hotkey(void *data, obs_hotkey_id id, obs_hotkey_t *hotkey,
			  bool pressed)
{
	UNUSED_PARAMETER(id);
	UNUSED_PARAMETER(hotkey);
	struct shared *sh = data;
	if (!pressed)
		return;
	shared_ref(sh);
	obs_queue_task(OBS_TASK_UI, hotkey_task, sh, false);
}

/* Registers the hotkey once the service is fully created: during create
 * libobs has not yet made the service's weak reference, and a hotkey
 * registered without it does not appear in OBS's Settings > Hotkeys. */
static void register_hotkey_task(void *param)
{
	struct shared *sh = param;
	pthread_mutex_lock(&sh->lock);
	struct uiza_service *svc = sh->svc;
	if (svc != NULL && svc->hotkey == OBS_INVALID_HOTKEY_ID)
		svc->hotkey = obs_hotkey_register_service(svc->owner,
							  HOTKEY_NAME,
							  T("RotateHotkey"),
							  rotate_hotkey, sh);
	pthread_mutex_unlock(&sh->lock);
	shared_release(sh);
}

static void release_param(void *param)
{
	shared_release(param);
}

/* The button's data when the properties belong to no service (libobs
 * would otherwise pass the clicked object's own data for a NULL one). */
static char no_service;

/* `data` is the shared struct the properties hold a reference to, so a
 * click in a properties view that outlived its service is harmless. */
static bool rotate_clicked(obs_properties_t *props, obs_property_t *property,
			   void *data)
{
	UNUSED_PARAMETER(props);
	UNUSED_PARAMETER(property);
	if (data == &no_service)
		return false;
	struct shared *sh = data;
	pthread_mutex_lock(&sh->lock);
	bool alive = sh->svc != NULL;
	if (alive)
		start_rotation(sh->svc);
	pthread_mutex_unlock(&sh->lock);
	return alive; /* refresh: the status line changed */
}

/* ---- configuration ------------------------------------------------- */

static void configure(struct uiza_service *svc, obs_data_t *settings)
{
	const char *api_key = obs_data_get_string(settings, "api_key");
	const char *entity_id = obs_data_get_string(settings, "entity_id");
	const char *base_url = obs_data_get_string(settings, "base_url");
	const char *ca_file = obs_data_get_string(settings, "ca_file");

	UizaClient *client = NULL;
	const char *problem = NULL;
	if (api_key[0] == '\0' || entity_id[0] == '\0') {
		problem = T("Status.NotConfigured");
	} else if ((client = uiza_client_new(api_key)) == NULL) {
		problem = T("Status.BadApiKey");
	} else if (uiza_client_set_base_url(client, base_url[0] != '\0'
							    ? base_url
							    : DEFAULT_BASE_URL) !=
		   UIZA_STATUS_OK) {
		problem = T("Status.BadBaseUrl");
	} else if (ca_file[0] != '\0' &&
		   uiza_client_set_ca_file(client, ca_file) != UIZA_STATUS_OK) {
		problem = T("Status.BadCaFile");
	}
	if (problem != NULL) {
		uiza_client_free(client);
		client = NULL;
	}
	UizaCancelToken *token = uiza_cancel_token_new();

	pthread_mutex_lock(&svc->shared->lock);
	UizaClient *old_client = svc->client;
	UizaCancelToken *old_token = svc->token;
	svc->client = client;
	svc->token = token;
	bfree(svc->entity_id);
	svc->entity_id = client != NULL ? bstrdup(entity_id) : NULL;
	svc->generation++;
	svc->rotating = false;
	/* Empty until the entity is read. */
	publish(svc, "", "");
	if (client != NULL)
		start_read(svc);
	else
		set_status(svc, problem);
	pthread_mutex_unlock(&svc->shared->lock);

	/* The old configuration's calls end with UIZA_STATUS_CANCELLED and
	 * their results are ignored (older generation). */
	uiza_cancel_token_cancel(old_token);
	uiza_cancel_token_free(old_token);
	uiza_client_free(old_client);
}

/* ---- obs_service_info ---------------------------------------------- */

static const char *uiza_name(void *type_data)
{
	UNUSED_PARAMETER(type_data);
	return T("UizaLive");
}

static void *uiza_create(obs_data_t *settings, obs_service_t *service)
{
	struct uiza_service *svc = bzalloc(sizeof(*svc));
	struct shared *sh = bzalloc(sizeof(*sh));
	sh->refs = 1;
	pthread_mutex_init(&sh->lock, NULL);
	sh->svc = svc;
	sh->owner = service;
	svc->owner = service;
	svc->shared = sh;
	svc->url = bstrdup("");
	svc->key = bstrdup("");
	svc->hotkey = OBS_INVALID_HOTKEY_ID;
	shared_ref(sh);
	obs_queue_task(OBS_TASK_UI, register_hotkey_task, sh, false);
	configure(svc, settings);
	return svc;
}

static void uiza_destroy(void *data)
{
	struct uiza_service *svc = data;
	struct shared *sh = svc->shared;

	pthread_mutex_lock(&sh->lock);
	sh->svc = NULL; /* from now on nothing registers the hotkey */
	obs_hotkey_id hotkey = svc->hotkey;
	pthread_mutex_unlock(&sh->lock);
	/* After this returns the hotkey callback cannot run any more; a
	 * press just before finds no service. */
	if (hotkey != OBS_INVALID_HOTKEY_ID)
		obs_hotkey_unregister(hotkey);

	/* In-flight calls end soon and still call back once each; their
	 * results find no service and are dropped. */
	uiza_cancel_token_cancel(svc->token);
	uiza_cancel_token_free(svc->token);
	uiza_client_free(svc->client);

	bfree(svc->entity_id);
	bfree(svc->url);
	bfree(svc->key);
	bfree(svc->old_url);
	bfree(svc->old_key);
	bfree(svc);
	shared_release(sh);
}

static void uiza_update(void *data, obs_data_t *settings)
{
	configure(data, settings);
}

static void uiza_defaults(obs_data_t *settings)
{
	obs_data_set_default_string(settings, "base_url", "");
	obs_data_set_default_string(settings, "ca_file", "");
}

static obs_properties_t *uiza_properties(void *data)
{
	struct uiza_service *svc = data;
	struct shared *sh = svc != NULL ? svc->shared : NULL;
	obs_properties_t *props = obs_properties_create();
	if (sh != NULL) {
		shared_ref(sh);
		obs_properties_set_param(props, sh, release_param);
	}
	obs_properties_add_text(props, "api_key", T("ApiKey"),
				OBS_TEXT_PASSWORD);
	obs_properties_add_text(props, "entity_id", T("EntityId"),
				OBS_TEXT_DEFAULT);
	obs_properties_add_text(props, "base_url", T("BaseUrl"),
				OBS_TEXT_DEFAULT);
	obs_properties_add_path(props, "ca_file", T("CaFile"), OBS_PATH_FILE,
				"PEM (*.pem *.crt);;* (*)", NULL);
	obs_properties_add_button2(props, "rotate_key", T("RotateKey"),
				   rotate_clicked,
				   sh != NULL ? (void *)sh : (void *)&no_service);
	obs_properties_add_text(props, "status", T("Status"), OBS_TEXT_INFO);
	return props;
}

static const char *published(struct uiza_service *svc, bool key)
{
	pthread_mutex_lock(&svc->shared->lock);
	const char *value = key ? svc->key : svc->url;
	pthread_mutex_unlock(&svc->shared->lock);
	return value;
}

#if LIBOBS_API_VER >= MAKE_SEMANTIC_VERSION(29, 1, 0)
static const char *uiza_connect_info(void *data, uint32_t type)
{
	switch (type) {
	case OBS_SERVICE_CONNECT_INFO_SERVER_URL:
		return published(data, false);
	case OBS_SERVICE_CONNECT_INFO_STREAM_KEY:
		return published(data, true);
	default:
		return NULL;
	}
}

static const char *uiza_protocol(void *data)
{
	return strncmp(published(data, false), "rtmps://", 8) == 0 ? "RTMPS"
								   : "RTMP";
}

static bool uiza_can_try_to_connect(void *data)
{
	return published(data, false)[0] != '\0' &&
	       published(data, true)[0] != '\0';
}
#else
static const char *uiza_url(void *data)
{
	return published(data, false);
}

static const char *uiza_key(void *data)
{
	return published(data, true);
}
#endif

static struct obs_service_info uiza_service_info = {
	.id = SERVICE_ID,
	.get_name = uiza_name,
	.create = uiza_create,
	.destroy = uiza_destroy,
	.update = uiza_update,
	.get_defaults = uiza_defaults,
	.get_properties = uiza_properties,
#if LIBOBS_API_VER >= MAKE_SEMANTIC_VERSION(29, 1, 0)
	.get_connect_info = uiza_connect_info,
	.get_protocol = uiza_protocol,
	.can_try_to_connect = uiza_can_try_to_connect,
#else
	.get_url = uiza_url,
	.get_key = uiza_key,
#endif
};

/* ---- module -------------------------------------------------------- */

/* Keeps the module holding `address` loaded for the life of the process:
 * a libuiza worker may still be returning from a callback, or a queued
 * UI task may still point into this module, after OBS unloads it. */
static void pin_module(const void *address)
{
#ifdef _WIN32
	HMODULE module;
	GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
				   GET_MODULE_HANDLE_EX_FLAG_PIN,
			   (LPCWSTR)address, &module);
#else
	Dl_info info;
	if (dladdr(address, &info) != 0 && info.dli_fname != NULL)
		(void)dlopen(info.dli_fname,
			     RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
#endif
}

/* libuiza's log lines, into OBS's log with the prefix "[uiza] ". Runs on
 * the thread that made the line (a libuiza worker here, since the plugin
 * makes only async calls); blog() is thread-safe. */
static void uiza_log_to_obs(void *user_data, UizaLogLevel level,
			    const char *message)
{
	(void)user_data;
	int obs_level;
	switch (level) {
	case UIZA_LOG_ERROR:
		obs_level = LOG_ERROR;
		break;
	case UIZA_LOG_WARN:
		obs_level = LOG_WARNING;
		break;
	case UIZA_LOG_INFO:
		obs_level = LOG_INFO;
		break;
	default:
		obs_level = LOG_DEBUG;
		break;
	}
	blog(obs_level, "[uiza] %s", message);
}

MODULE_EXPORT const char *obs_module_name(void)
{
	return "Uiza Live";
}

MODULE_EXPORT const char *obs_module_description(void)
{
	return "Streams to a Uiza live entity and rotates its stream key.";
}

bool obs_module_load(void)
{
	pin_module((const void *)&obs_module_load);
	pin_module((const void *)&uiza_version);
	obs_register_service(&uiza_service_info);
	/* Up to INFO: each call's start and end, retries, failures and a
	 * rotation's verdict. OBS does not tell a plugin whether it runs with
	 * --verbose, so the steps of each call (DEBUG) stay off. */
	uiza_set_log_callback(uiza_log_to_obs, NULL, UIZA_LOG_INFO);
	blog(LOG_INFO, "[uiza-obs] loaded (libuiza %s)", uiza_version());
	return true;
}

void obs_module_unload(void)
{
	/* Returns once no libuiza thread is in uiza_log_to_obs any more. */
	uiza_set_log_callback(NULL, NULL, UIZA_LOG_ERROR);
	/* Services are gone by now, their calls cancelled; let the last
	 * callbacks return before OBS frees what they call into. */
	for (int waited = 0;
	     os_atomic_load_long(&calls_in_flight) > 0 && waited < UNLOAD_WAIT_MS;
	     waited += 10)
		os_sleep_ms(10);
}
