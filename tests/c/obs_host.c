/*
 * obs_host - a headless OBS host for the uiza-obs plugin tests.
 *
 *   usage: obs_host <uiza-obs.so> <its data dir> [--live]
 *
 * Starts libobs (run it under xvfb-run: libobs needs an X display), loads
 * the plugin with obs_open_module/obs_init_module and installs its own UI
 * task handler: tasks queue up and run on the main thread, which stands
 * for the UI thread. With --live it also sets up video and audio and loads
 * OBS's x264, AAC and RTMP output modules (from the obs-studio package),
 * so that `stream` can go live through the service.
 *
 * It then reads one command per line on stdin and answers one line on
 * stdout ("ok ..." or "err ..."), running queued UI tasks between commands
 * unless `pause`d:
 *
 *   create API_KEY ENTITY_ID BASE_URL   create a uiza_live service (its
 *                                       hotkey bound to F9, as saved data)
 *   update API_KEY ENTITY_ID BASE_URL   obs_service_update with these
 *   key | url | status                  the service's key, URL, status text
 *   wait_key MS                         run UI tasks until the key is set
 *   wait_status MS TEXT                 ... until the status contains TEXT
 *   click                               click rotate_key; answers the
 *                                       microseconds the click took
 *   hotkey                              press the service's hotkey
 *   describe                            the property and hotkey texts
 *   pause | resume                      stop or restart running UI tasks
 *   tasks                               queued=N ran=N offthread=N
 *   pump MS                             run UI tasks for MS milliseconds
 *   log_seen TEXT                       whether a log line contained TEXT
 *   destroy                             release the service
 *   props_keep                          take the service's properties and
 *                                       keep them (a properties view)
 *   props_click                         click rotate_key in the kept ones;
 *                                       answers the callback's result
 *   stream                              start an rtmp_output (--live)
 *   output                              the output's state and counters
 *   quit                                release everything, shut libobs
 *                                       down, answer "ok leaks=N"
 *
 * The plugin must never log secrets; this program never prints the API
 * key (it does print stream keys on stdout, for the test to compare).
 */
#define _GNU_SOURCE
#include <obs.h>
#include <obs-module.h>
#include <obs-nix-platform.h>
#include <util/base.h>
#include <util/bmem.h>
#include <util/platform.h>
#include <util/threading.h>

#include <X11/Xlib.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OBS_PLUGINS "/usr/lib/x86_64-linux-gnu/obs-plugins"
#define OBS_PLUGIN_DATA "/usr/share/obs/obs-plugins"

/* ---- UI task queue --------------------------------------------------- */

struct task {
	obs_task_t fn;
	void *param;
	os_event_t *done; /* set for wait == true */
};

static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static struct task queue[4096];
static size_t queue_head, queue_len;
static long tasks_ran, tasks_offthread;
static pthread_t ui_thread;
static bool paused;

static void enqueue(struct task t)
{
	pthread_mutex_lock(&queue_lock);
	if (queue_len == sizeof(queue) / sizeof(queue[0])) {
		fprintf(stderr, "obs_host: UI task queue overflow\n");
		abort();
	}
	queue[(queue_head + queue_len++) % (sizeof(queue) / sizeof(queue[0]))] = t;
	if (!pthread_equal(pthread_self(), ui_thread))
		tasks_offthread++;
	pthread_mutex_unlock(&queue_lock);
}

static void ui_task_handler(obs_task_t fn, void *param, bool wait)
{
	if (wait && pthread_equal(pthread_self(), ui_thread)) {
		fn(param);
		return;
	}
	struct task t = {fn, param, NULL};
	if (wait)
		os_event_init(&t.done, OS_EVENT_TYPE_MANUAL);
	os_event_t *done = t.done;
	enqueue(t);
	if (done) {
		os_event_wait(done);
		os_event_destroy(done);
	}
}

/* Runs the tasks queued so far (not those they queue). */
static void run_tasks(void)
{
	pthread_mutex_lock(&queue_lock);
	size_t n = queue_len;
	pthread_mutex_unlock(&queue_lock);
	while (n--) {
		pthread_mutex_lock(&queue_lock);
		struct task t = queue[queue_head];
		queue_head = (queue_head + 1) % (sizeof(queue) / sizeof(queue[0]));
		queue_len--;
		tasks_ran++;
		pthread_mutex_unlock(&queue_lock);
		t.fn(t.param);
		if (t.done)
			os_event_signal(t.done);
	}
}

static void pump_ms(int ms)
{
	uint64_t end = os_gettime_ns() + (uint64_t)ms * 1000000;
	do {
		if (!paused)
			run_tasks();
		os_sleep_ms(5);
	} while (os_gettime_ns() < end);
}

/* ---- log capture ----------------------------------------------------- */

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char *log_text;
static size_t log_len;

static void log_handler(int level, const char *format, va_list args, void *param)
{
	(void)param;
	char line[4096];
	vsnprintf(line, sizeof(line), format, args);
	fprintf(stderr, "[libobs %d] %s\n", level, line);
	pthread_mutex_lock(&log_lock);
	size_t n = strlen(line);
	char *grown = realloc(log_text, log_len + n + 2);
	if (grown) {
		log_text = grown;
		memcpy(log_text + log_len, line, n);
		log_len += n;
		log_text[log_len++] = '\n';
		log_text[log_len] = '\0';
	}
	pthread_mutex_unlock(&log_lock);
}

static bool log_contains(const char *text)
{
	pthread_mutex_lock(&log_lock);
	bool seen = log_text != NULL && strstr(log_text, text) != NULL;
	pthread_mutex_unlock(&log_lock);
	return seen;
}

/* ---- objects --------------------------------------------------------- */

static obs_service_t *service;
static obs_properties_t *kept_props;
static obs_output_t *output;
static obs_encoder_t *video_encoder, *audio_encoder;
static long output_starts, output_stops, output_reconnects, output_reconnect_ok;
static long last_stop_code;

static void reply(const char *format, ...)
{
	va_list args;
	va_start(args, format);
	vprintf(format, args);
	va_end(args);
	putchar('\n');
	fflush(stdout);
}

static const char *status_text(void)
{
	static char text[1024];
	obs_data_t *settings = obs_service_get_settings(service);
	snprintf(text, sizeof(text), "%s", obs_data_get_string(settings, "status"));
	obs_data_release(settings);
	return text;
}

static bool load_module(const char *bin, const char *data)
{
	obs_module_t *module = NULL;
	int rc = obs_open_module(&module, bin, data);
	if (rc != MODULE_SUCCESS) {
		fprintf(stderr, "obs_host: obs_open_module(%s) = %d\n", bin, rc);
		return false;
	}
	if (!obs_init_module(module)) {
		fprintf(stderr, "obs_host: obs_init_module(%s) failed\n", bin);
		return false;
	}
	return true;
}

static bool load_obs_module(const char *name)
{
	char bin[512], data[512];
	snprintf(bin, sizeof(bin), "%s/%s.so", OBS_PLUGINS, name);
	snprintf(data, sizeof(data), "%s/%s", OBS_PLUGIN_DATA, name);
	return load_module(bin, data);
}

static bool find_hotkey(void *data, obs_hotkey_id id, obs_hotkey_t *key)
{
	obs_hotkey_id *found = data;
	if (strcmp(obs_hotkey_get_name(key), "uiza_live.rotate_key") == 0) {
		*found = id;
		return false;
	}
	return true;
}

static obs_hotkey_id service_hotkey(void)
{
	obs_hotkey_id id = OBS_INVALID_HOTKEY_ID;
	obs_enum_hotkeys(find_hotkey, &id);
	return id;
}

struct hotkey_info {
	const char *description;
	bool service_registerer;
	obs_hotkey_id id;
	int f9_bindings;
};

static bool count_f9(void *data, size_t idx, obs_hotkey_binding_t *binding)
{
	(void)idx;
	struct hotkey_info *info = data;
	if (obs_hotkey_binding_get_hotkey_id(binding) == info->id &&
	    obs_hotkey_binding_get_key_combination(binding).key == OBS_KEY_F9)
		info->f9_bindings++;
	return true;
}

static bool find_hotkey_description(void *data, obs_hotkey_id id, obs_hotkey_t *key)
{
	struct hotkey_info *info = data;
	if (strcmp(obs_hotkey_get_name(key), "uiza_live.rotate_key") == 0) {
		info->description = obs_hotkey_get_description(key);
		info->id = id;
		/* OBS's Settings > Hotkeys page lists a service's hotkey only
		 * when its registerer is the service (a weak reference to it). */
		obs_weak_service_t *weak = obs_hotkey_get_registerer(key);
		obs_service_t *owner = obs_weak_service_get_service(weak);
		info->service_registerer =
			obs_hotkey_get_registerer_type(key) == OBS_HOTKEY_REGISTERER_SERVICE &&
			owner == service;
		obs_service_release(owner);
		return false;
	}
	return true;
}

static void on_output_signal(void *data, calldata_t *cd)
{
	long *counter = data;
	if (counter == &output_stops)
		last_stop_code = (long)calldata_int(cd, "code");
	os_atomic_inc_long(counter);
}

static bool start_stream(void)
{
	obs_data_t *vs = obs_data_create();
	obs_data_set_int(vs, "bitrate", 400);
	obs_data_set_string(vs, "rate_control", "CBR");
	obs_data_set_int(vs, "keyint_sec", 1);
	obs_data_set_string(vs, "preset", "ultrafast");
	obs_data_set_string(vs, "tune", "zerolatency");
	video_encoder = obs_video_encoder_create("obs_x264", "video", vs, NULL);
	obs_data_release(vs);
	obs_data_t *as = obs_data_create();
	obs_data_set_int(as, "bitrate", 64);
	audio_encoder = obs_audio_encoder_create("ffmpeg_aac", "audio", as, 0, NULL);
	obs_data_release(as);
	if (!video_encoder || !audio_encoder)
		return false;
	obs_encoder_set_video(video_encoder, obs_get_video());
	obs_encoder_set_audio(audio_encoder, obs_get_audio());

	output = obs_output_create("rtmp_output", "stream", NULL, NULL);
	if (!output)
		return false;
	signal_handler_t *sh = obs_output_get_signal_handler(output);
	signal_handler_connect(sh, "start", on_output_signal, &output_starts);
	signal_handler_connect(sh, "stop", on_output_signal, &output_stops);
	signal_handler_connect(sh, "reconnect", on_output_signal, &output_reconnects);
	signal_handler_connect(sh, "reconnect_success", on_output_signal,
			       &output_reconnect_ok);
	obs_output_set_video_encoder(output, video_encoder);
	obs_output_set_audio_encoder(output, audio_encoder, 0);
	obs_output_set_service(output, service);
	/* Retry after 1 s, up to 10 times: a dropped session comes back fast. */
	obs_output_set_reconnect_settings(output, 10, 1);
	return obs_output_start(output);
}

static bool set_up_live(void)
{
	struct obs_video_info ovi = {
		.graphics_module = "libobs-opengl",
		.fps_num = 15,
		.fps_den = 1,
		.base_width = 320,
		.base_height = 240,
		.output_width = 320,
		.output_height = 240,
		.output_format = VIDEO_FORMAT_NV12,
		.adapter = 0,
		.gpu_conversion = true,
		.colorspace = VIDEO_CS_709,
		.range = VIDEO_RANGE_PARTIAL,
		.scale_type = OBS_SCALE_BICUBIC,
	};
	int rc = obs_reset_video(&ovi);
	if (rc != OBS_VIDEO_SUCCESS) {
		fprintf(stderr, "obs_host: obs_reset_video = %d\n", rc);
		return false;
	}
	struct obs_audio_info oai = {.samples_per_sec = 44100, .speakers = SPEAKERS_STEREO};
	if (!obs_reset_audio(&oai)) {
		fprintf(stderr, "obs_host: obs_reset_audio failed\n");
		return false;
	}
	return load_obs_module("obs-x264") && load_obs_module("obs-ffmpeg") &&
	       load_obs_module("obs-outputs");
}

/* ---- commands -------------------------------------------------------- */

static void command(char *line)
{
	char *save = NULL;
	char *verb = strtok_r(line, " \n", &save);
	char *rest = strtok_r(NULL, "\n", &save);
	if (verb == NULL) {
		reply("err empty command");
	} else if (strcmp(verb, "create") == 0 ||
		   (strcmp(verb, "update") == 0 && service != NULL)) {
		char *api_key = strtok_r(rest, " ", &save);
		char *entity = strtok_r(NULL, " ", &save);
		char *base_url = strtok_r(NULL, " ", &save);
		obs_data_t *settings = obs_data_create();
		obs_data_set_string(settings, "api_key", api_key ? api_key : "");
		obs_data_set_string(settings, "entity_id", entity ? entity : "");
		obs_data_set_string(settings, "base_url", base_url ? base_url : "");
		if (verb[0] == 'u') {
			obs_service_update(service, settings);
		} else {
			/* A binding as a profile's service.json would hold it. */
			obs_data_t *hotkeys = obs_data_create_from_json(
				"{\"uiza_live.rotate_key\":[{\"key\":\"OBS_KEY_F9\"}]}");
			service = obs_service_create("uiza_live", "uiza", settings, hotkeys);
			obs_data_release(hotkeys);
		}
		obs_data_release(settings);
		if (service)
			reply("ok");
		else
			reply("err obs_service_create failed");
	} else if (strcmp(verb, "props_click") == 0) {
		/* Like a properties view still open after its service is gone:
		 * no object to pass, the button has only what the plugin gave it. */
		obs_property_t *button = obs_properties_get(kept_props, "rotate_key");
		reply(button ? "ok %d" : "err no kept properties",
		      obs_property_button_clicked(button, NULL));
	} else if (service == NULL && strcmp(verb, "quit") != 0 &&
		   strcmp(verb, "tasks") != 0 && strcmp(verb, "pump") != 0 &&
		   strcmp(verb, "log_seen") != 0 && strcmp(verb, "pause") != 0 &&
		   strcmp(verb, "resume") != 0) {
		reply("err no service");
	} else if (strcmp(verb, "key") == 0) {
		reply("ok %s", obs_service_get_key(service));
	} else if (strcmp(verb, "url") == 0) {
		reply("ok %s", obs_service_get_url(service));
	} else if (strcmp(verb, "status") == 0) {
		reply("ok %s", status_text());
	} else if (strcmp(verb, "wait_key") == 0) {
		int ms = rest ? atoi(rest) : 0;
		uint64_t end = os_gettime_ns() + (uint64_t)ms * 1000000;
		while (obs_service_get_key(service)[0] == '\0' && os_gettime_ns() < end)
			pump_ms(5);
		if (obs_service_get_key(service)[0] != '\0')
			reply("ok %s", obs_service_get_key(service));
		else
			reply("err no key; status: %s", status_text());
	} else if (strcmp(verb, "wait_status") == 0) {
		char *ms_text = strtok_r(rest, " ", &save);
		char *text = strtok_r(NULL, "\n", &save);
		int ms = ms_text ? atoi(ms_text) : 0;
		uint64_t end = os_gettime_ns() + (uint64_t)ms * 1000000;
		while (!strstr(status_text(), text ? text : "") && os_gettime_ns() < end)
			pump_ms(5);
		if (strstr(status_text(), text ? text : ""))
			reply("ok %s", status_text());
		else
			reply("err status: %s", status_text());
	} else if (strcmp(verb, "click") == 0) {
		obs_properties_t *props = obs_service_properties(service);
		obs_property_t *button = obs_properties_get(props, "rotate_key");
		uint64_t start = os_gettime_ns();
		bool refresh = obs_property_button_clicked(button, service);
		uint64_t took = os_gettime_ns() - start;
		obs_properties_destroy(props);
		reply("ok %llu refresh=%d", (unsigned long long)(took / 1000), refresh);
	} else if (strcmp(verb, "hotkey") == 0) {
		obs_hotkey_id id = service_hotkey();
		if (id == OBS_INVALID_HOTKEY_ID) {
			reply("err no hotkey");
		} else {
			obs_hotkey_enable_callback_rerouting(true);
			obs_hotkey_trigger_routed_callback(id, true);
			obs_hotkey_trigger_routed_callback(id, false);
			reply("ok");
		}
	} else if (strcmp(verb, "describe") == 0) {
		obs_properties_t *props = obs_service_properties(service);
		struct hotkey_info hotkey = {"", false, OBS_INVALID_HOTKEY_ID, 0};
		obs_enum_hotkeys(find_hotkey_description, &hotkey);
		obs_enum_hotkey_bindings(count_f9, &hotkey);
		obs_property_t *p = obs_properties_get(props, "api_key");
		int api_key_type = p ? (int)obs_property_text_type(p) : -1;
		p = obs_properties_get(props, "status");
		int status_type = p ? (int)obs_property_text_type(p) : -1;
		reply("ok name=%s|button=%s|hotkey=%s|hotkey_of_service=%d|f9_bindings=%d|"
		      "api_key_password=%d|status_info=%d",
		      obs_service_get_display_name("uiza_live"),
		      obs_property_description(obs_properties_get(props, "rotate_key")),
		      hotkey.description, hotkey.service_registerer, hotkey.f9_bindings,
		      api_key_type == OBS_TEXT_PASSWORD, status_type == OBS_TEXT_INFO);
		obs_properties_destroy(props);
	} else if (strcmp(verb, "pause") == 0) {
		paused = true;
		reply("ok");
	} else if (strcmp(verb, "resume") == 0) {
		paused = false;
		run_tasks();
		reply("ok");
	} else if (strcmp(verb, "tasks") == 0) {
		pthread_mutex_lock(&queue_lock);
		reply("ok queued=%zu ran=%ld offthread=%ld", queue_len, tasks_ran,
		      tasks_offthread);
		pthread_mutex_unlock(&queue_lock);
	} else if (strcmp(verb, "pump") == 0) {
		pump_ms(rest ? atoi(rest) : 0);
		reply("ok");
	} else if (strcmp(verb, "log_seen") == 0) {
		reply("ok %d", rest ? log_contains(rest) : 0);
	} else if (strcmp(verb, "props_keep") == 0) {
		obs_properties_destroy(kept_props);
		kept_props = obs_service_properties(service);
		reply("ok");
	} else if (strcmp(verb, "destroy") == 0) {
		obs_service_release(service);
		service = NULL;
		reply("ok");
	} else if (strcmp(verb, "stream") == 0) {
		if (start_stream())
			reply("ok");
		else
			reply("err %s", output ? obs_output_get_last_error(output) : "no output");
	} else if (strcmp(verb, "output") == 0) {
		if (!output) {
			reply("err no output");
		} else {
			reply("ok active=%d reconnecting=%d starts=%ld stops=%ld reconnects=%ld "
			      "reconnect_successes=%ld last_stop_code=%ld bytes=%llu",
			      obs_output_active(output), obs_output_reconnecting(output),
			      os_atomic_load_long(&output_starts),
			      os_atomic_load_long(&output_stops),
			      os_atomic_load_long(&output_reconnects),
			      os_atomic_load_long(&output_reconnect_ok), last_stop_code,
			      (unsigned long long)obs_output_get_total_bytes(output));
		}
	} else {
		reply("err unknown command %s", verb);
	}
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s <uiza-obs.so> <data dir> [--live]\n", argv[0]);
		return 2;
	}
	bool live = argc > 3 && strcmp(argv[3], "--live") == 0;
	ui_thread = pthread_self();
	base_set_log_handler(log_handler, NULL);

	Display *display = XOpenDisplay(NULL);
	if (!display) {
		fprintf(stderr, "obs_host: no X display (run under xvfb-run)\n");
		return 3;
	}
	obs_set_nix_platform(OBS_NIX_PLATFORM_X11_EGL);
	obs_set_nix_platform_display(display);
	if (!obs_startup("en-US", NULL, NULL)) {
		fprintf(stderr, "obs_host: obs_startup failed\n");
		return 3;
	}
	obs_set_ui_task_handler(ui_task_handler);
	if ((live && !set_up_live()) || !load_module(argv[1], argv[2])) {
		obs_shutdown();
		return 3;
	}
	reply("ready");

	char *line = NULL;
	size_t cap = 0;
	for (;;) {
		struct pollfd pfd = {.fd = 0, .events = POLLIN};
		int ready = poll(&pfd, 1, 5);
		if (!paused)
			run_tasks();
		if (ready <= 0)
			continue;
		if (getline(&line, &cap, stdin) < 0)
			break; /* EOF: quit */
		if (strncmp(line, "quit", 4) == 0)
			break;
		command(line);
	}
	free(line);

	if (output) {
		obs_output_stop(output);
		obs_output_release(output);
	}
	obs_encoder_release(video_encoder);
	obs_encoder_release(audio_encoder);
	obs_service_release(service);
	obs_properties_destroy(kept_props);
	/* Let late libuiza callbacks land and their tasks run. */
	paused = false;
	pump_ms(300);
	obs_shutdown();
	run_tasks();
	long leaks = bnum_allocs();
	reply("ok leaks=%ld", leaks);
	XCloseDisplay(display);
	free(log_text);
	return 0;
}
