/* SPDX-License-Identifier: MIT */
/*
 * cmd_registry.c - `paude login`, `paude logout` and `paude push`: the
 * commands that speak to a registry about credentials and uploads.
 * Passwords come from stdin (--password-stdin) or the terminal with echo
 * off, never from the command line; the auth file is written 0600
 * (oci/auth.c).  A push uploads each blob of a stored image (skipping what
 * the registry has) and then its manifest.
 */
#include "cli.h"
#include "pull.h"
#include "common/cleanup.h"
#include "common/util.h"
#include "oci/auth.h"
#include "oci/manifest.h"
#include "oci/ref.h"
#include "oci/registry.h"
#include "oci/store.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* ---- login / logout ---- */

static const char login_help[] =
	"Usage: paude login [-u USER] [--password-stdin] [--authfile FILE]\n"
	"                   [--tls-verify=false] REGISTRY\n"
	"\n"
	"Check USER's password against REGISTRY and store the pair in the containers\n"
	"auth file ($REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/auth.json or\n"
	"~/.config/containers/auth.json), mode 0600.  The password is read from stdin\n"
	"with --password-stdin, otherwise from the terminal without echo.\n";

enum { O_PWSTDIN = 256, O_AUTHFILE, O_TLS, O_ALL };

/* One line from @fd, without its newline (bounded). */
static int read_line(int fd, char *buf, size_t cap)
{
	size_t n = 0;

	while (n + 1 < cap) {
		char ch;
		ssize_t r = read(fd, &ch, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0 || ch == '\n')
			break;
		buf[n++] = ch;
	}
	if (n && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	return (int)n;
}

static int ask(const char *prompt, bool echo, char *buf, size_t cap, struct pd_error *err)
{
	cleanup_close int tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct termios old, raw;
	bool restore = false;

	if (tty < 0)
		return pd_error_set(err, errno,
				    "no terminal to ask on (use -u and --password-stdin)");
	if (write(tty, prompt, strlen(prompt)) < 0)
		return pd_error_set(err, errno, "/dev/tty");
	if (!echo && tcgetattr(tty, &old) == 0) {
		raw = old;
		raw.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(tty, TCSAFLUSH, &raw) == 0;
	}
	read_line(tty, buf, cap);
	if (restore) {
		(void)tcsetattr(tty, TCSAFLUSH, &old);
		(void)!write(tty, "\n", 1);
	}
	return 0;
}

static int cmd_login(int argc, char **argv, struct pd_error *err)
{
	static const struct option opts[] = {
		{ "username", required_argument, NULL, 'u' },
		{ "password-stdin", no_argument, NULL, O_PWSTDIN },
		{ "authfile", required_argument, NULL, O_AUTHFILE },
		{ "tls-verify", optional_argument, NULL, O_TLS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char user[256] = "", pass[1024] = "";
	const char *authfile = NULL, *registry;
	bool pw_stdin = false, tls = true;
	struct pd_registry_opts ro;
	struct pd_registry *r;
	int c, rc;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+u:h", opts, NULL)) != -1) {
		switch (c) {
		case 'u':
			snprintf(user, sizeof(user), "%s", optarg);
			break;
		case O_PWSTDIN:
			pw_stdin = true;
			break;
		case O_AUTHFILE:
			authfile = optarg;
			break;
		case O_TLS:
			tls = !optarg || strcmp(optarg, "false") != 0;
			break;
		case 'h':
			fputs(login_help, stdout);
			return 0;
		default:
			return pd_usage_error(err, "login: unknown or incomplete option \"%s\"",
					      argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return pd_usage_error(err, "login: expected one REGISTRY");
	registry = argv[optind];
	if (!user[0] && (pw_stdin || ask("Username: ", true, user, sizeof(user), err) < 0))
		return pw_stdin ? pd_usage_error(err, "login: --password-stdin needs -u USER") : -1;
	if (pw_stdin)
		read_line(STDIN_FILENO, pass, sizeof(pass));
	else if (ask("Password: ", false, pass, sizeof(pass), err) < 0)
		return -1;
	if (!pass[0])
		return pd_usage_error(err, "login: empty password");
	pd_registry_opts_init(&ro);
	ro.tls_verify = tls;
	ro.insecure = !tls || pd_oci_registry_is_loopback_literal(registry);
	ro.username = user;
	ro.password = pass;
	r = pd_registry_new(registry, &ro, err);
	if (!r)
		return -1;
	rc = pd_registry_ping(r, err);
	pd_registry_free(r);
	if (rc == 0)
		rc = pd_auth_login(registry, user, pass, authfile, err);
	explicit_bzero(pass, sizeof(pass));
	if (rc < 0)
		return pd_error_wrap(err, "login to %s", registry);
	puts("Login Succeeded!");
	return 0;
}

const struct pd_command pd_cmd_login = {
	.name = "login",
	.summary = "Store credentials for a registry",
	.help = login_help,
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_login,
};

static int cmd_logout(int argc, char **argv, struct pd_error *err)
{
	static const struct option opts[] = {
		{ "authfile", required_argument, NULL, O_AUTHFILE },
		{ "all", no_argument, NULL, O_ALL },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *authfile = NULL;
	bool all = false;
	int c, n;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (c == O_AUTHFILE)
			authfile = optarg;
		else if (c == O_ALL || c == 'a')
			all = true;
		else if (c == 'h') {
			puts("Usage: paude logout [--authfile FILE] (REGISTRY | --all)");
			return 0;
		} else
			return pd_usage_error(err, "logout: unknown option \"%s\"",
					      argv[optind - 1]);
	}
	if (all ? optind != argc : optind != argc - 1)
		return pd_usage_error(err, "logout: expected REGISTRY or --all");
	n = pd_auth_logout(all ? NULL : argv[optind], authfile, err);
	if (n < 0)
		return -1;
	if (n == 0 && !all)
		return pd_error_set_msg(err, ENOENT, "not logged into %s", argv[optind]);
	if (all)
		puts("Removed login credentials for all registries");
	else
		printf("Removed login credentials for %s\n", argv[optind]);
	return 0;
}

const struct pd_command pd_cmd_logout = {
	.name = "logout",
	.summary = "Remove stored credentials for a registry",
	.help = "Usage: paude logout [--authfile FILE] (REGISTRY | --all)\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_logout,
};

/* ---- push ---- */

struct blob_source {
	int fd;
};

static int source_read(void *data, void *buf, size_t cap, size_t *n)
{
	struct blob_source *b = data;
	ssize_t r;

	if (!buf) /* rewind for a retry */
		return lseek(b->fd, 0, SEEK_SET) == 0 ? 0 : -1;
	do
		r = read(b->fd, buf, cap);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -1;
	*n = (size_t)r;
	return 0;
}

static int push_blob(struct pd_store *s, struct pd_registry *r, const char *repo,
		     const struct pd_oci_descriptor *d, struct pd_error *err)
{
	struct blob_source b = { .fd = pd_store_blob_open(s, d->digest, err) };
	int rc;

	if (b.fd < 0)
		return -1;
	rc = pd_registry_put_blob(r, repo, d->digest, d->size, NULL, source_read, &b, err);
	close(b.fd);
	if (rc >= 0)
		fprintf(stderr, "%s blob %.19s\n",
			rc == PD_REGISTRY_UPLOADED ? "Copied" : "Skipped (exists)", d->digest);
	return rc < 0 ? -1 : 0;
}

static int cmd_push(int argc, char **argv, struct pd_error *err)
{
	static const struct option opts[] = {
		{ "tls-verify", optional_argument, NULL, O_TLS },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	cleanup_free char *root = pd_store_default_root(), *body = NULL;
	struct pd_store_image img = { 0 };
	struct pd_oci_manifest m = { 0 };
	struct pd_oci_ref ref;
	struct pd_registry_opts ro;
	struct pd_registry *reg = NULL;
	struct pd_store *s = NULL;
	const char *src, *dst;
	char dg[PD_DIGEST_MAX];
	bool tls = true;
	size_t len = 0;
	int c, rc = -1, found = 0, gc = -1;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == O_TLS)
			tls = !optarg || strcmp(optarg, "false") != 0;
		else if (c == 'h') {
			puts("Usage: paude push [--tls-verify=false] IMAGE [DESTINATION]\n\nUpload a "
			     "stored image to a registry (DESTINATION: [docker://]REF; default "
			     "IMAGE's own name).");
			return 0;
		} else
			return pd_usage_error(err, "push: unknown option \"%s\"", argv[optind - 1]);
	}
	if (optind != argc - 1 && optind != argc - 2)
		return pd_usage_error(err, "push: expected IMAGE [DESTINATION]");
	src = argv[optind];
	dst = optind + 1 < argc ? argv[optind + 1] : src;
	if (pd_str_has_prefix(dst, "docker://"))
		dst += 9;
	if (pd_oci_ref_parse(dst, &ref, err) < 0)
		return -1;
	if (!root)
		return pd_error_set_msg(err, EINVAL,
					"no place for the image store ($HOME is not set)");
	s = pd_store_open(root, err);
	if (!s)
		return -1;
	gc = pd_store_gc_lock(s, false, err); /* prune waits while the blobs are read */
	if (gc < 0) {
		pd_store_close(s);
		return -1;
	}
	found = pd_pull_find(s, src, &img, NULL, 0, err);
	if (found <= 0) {
		if (found == 0)
			pd_error_set_msg(err, ENOENT, "image \"%s\": not in the store", src);
		goto out;
	}
	if (pd_store_read_blob(s, img.manifest, PD_OCI_MANIFEST_MAX, &body, &len, err) < 0 ||
	    pd_oci_manifest_parse(body, len, NULL, &m, err) < 0)
		goto out;
	pd_registry_opts_init(&ro);
	ro.tls_verify = tls;
	ro.insecure = !tls || pd_oci_registry_is_loopback_literal(ref.registry);
	reg = pd_registry_new(ref.registry, &ro, err);
	if (!reg)
		goto out;
	for (size_t i = 0; i < m.n_layers; i++)
		if (push_blob(s, reg, ref.repository, &m.layers[i], err) < 0)
			goto out;
	if (push_blob(s, reg, ref.repository, &m.config, err) < 0 ||
	    pd_registry_put_manifest(reg, ref.repository, ref.digest[0] ? ref.digest : ref.tag,
				     m.docker ? PD_OCI_MT_DOCKER_MANIFEST : PD_OCI_MT_MANIFEST,
				     body, len, dg, err) < 0)
		goto out;
	printf("%s\n", dg);
	rc = 0;
out:
	if (rc < 0)
		pd_error_wrap(err, "push %s", src);
	pd_registry_free(reg);
	pd_oci_manifest_release(&m);
	pd_store_image_release(&img);
	pd_store_unlock(gc);
	pd_store_close(s);
	return rc;
}

const struct pd_command pd_cmd_push = {
	.name = "push",
	.summary = "Upload a stored image to a registry",
	.help = "Usage: paude push [--tls-verify=false] IMAGE [DESTINATION]\n",
	.failure_status = 1,
	.usage_status = 2,
	.fn = cmd_push,
};
