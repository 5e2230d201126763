/* Corpus builder tests: each cleaner on a small input with the expected output written
 * out by hand, chunking bounds, and the whole build on tests/corpus/fixture checked
 * against an independent FNV-1a and split rule written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "build.h"
#include "cbuf.h"
#include "clean.h"

#define FIX CORPUS_FIXTURE_DIR

/* Independent reference: FNV-1a 64 as published (offset basis, prime). */
static uint64_t ref_fnv(const char *s) {
    uint64_t h = 14695981039346656037ULL;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* cleaned + normalised text of `in` in format `fmt`, as a malloc'd string */
static char *clean_str(const char *fmt, const char *in) {
    enum corpus_format f;
    assert_int_equal(corpus_format_parse(fmt, &f), 0);
    struct cbuf fixed = {0}, c = {0}, nrm = {0};
    char err[256];
    assert_int_equal(corpus_clean(f, in, strlen(in), "x", &c, err, sizeof err), 0);
    corpus_utf8_repair(c.p ? c.p : "", c.n, &fixed);
    corpus_normalize(fixed.p ? fixed.p : "", fixed.n, &nrm);
    char *s = calloc(nrm.n + 1, 1);
    assert_non_null(s);
    if (nrm.n) memcpy(s, nrm.p, nrm.n);
    cbuf_free(&fixed);
    cbuf_free(&c);
    cbuf_free(&nrm);
    return s;
}

static void expect_clean(const char *fmt, const char *in, const char *want) {
    char *got = clean_str(fmt, in);
    if (strcmp(got, want) != 0)
        fail_msg("format %s:\n--- got ---\n%s\n--- want ---\n%s\n", fmt, got, want);
    free(got);
}

static void test_fnv_vectors(void **state) {
    (void)state;
    /* published FNV-1a 64 test vectors */
    assert_true(corpus_fnv1a64("", 0) == 0xcbf29ce484222325ULL);
    assert_true(corpus_fnv1a64("a", 1) == 0xaf63dc4c8601ec8cULL);
    assert_true(corpus_fnv1a64("foobar", 6) == 0x85944171f73967e8ULL);
    assert_true(corpus_fnv1a64("fixture-a/alpha.txt", 19) == ref_fnv("fixture-a/alpha.txt"));
}

static void test_normalize(void **state) {
    (void)state;
    expect_clean("text",
                 "\n\n a  \r\nb\t \n\n\n\n-----\n\nc\x01\x7f"
                 "d\n\n",
                 " a\nb\n\ncd");
    expect_clean("text", "x\n= = = =\ny", "x\n\ny"); /* a rule line separates paragraphs */
    /* invalid UTF-8 is read as Windows-1252; a BOM is dropped */
    expect_clean("text",
                 "\xef\xbb\xbf"
                 "caf\xe9 \x93q\x94",
                 "caf\xc3\xa9 \xe2\x80\x9cq\xe2\x80\x9d");
    /* overstrike (bold and underline) */
    expect_clean("text", "B\bBo\bol\bld _\bu", "Bold u");
}

static void test_clean_formats(void **state) {
    (void)state;
    expect_clean("html",
                 "<head><title>t</title></head><p>a &amp; b&#65;&#x42;</p><script>x</script>"
                 "<div class=\"navfooter\"><div>nav</div>more nav</div><p>c  \n d<br>e</p>"
                 "<pre>  x\n  y</pre><div id=\"hd\"><p>header</p></div><nav>n</nav><div "
                 "role=\"search\">s</div>",
                 "a & bAB\n\nc d\ne\n\n  x\n  y");
    expect_clean("rst",
                 ".. comment\n   more comment\n\nTitle\n=====\n\n:class:`~a.B` and ``x`` and "
                 "`t <u>`_.\n\n.. image:: f.png\n   :width: 3\n\n.. note::\n   :class: y\n\n   "
                 "Body.\n\nSee::\n\n   code\n",
                 "Title\n\nB and x and t.\n\n   Body.\n\nSee:\n\n   code");
    expect_clean("pod",
                 "code;\n\n=head1 NAME\n\nx B<b> I<i> C<< a->b >> L<t|u/v> L<perlfunc/\"open\"> "
                 "E<lt>E<gt>\n\n=begin html\n\n<p>\n\n=end html\n\n  verb\n\n=cut\n\ncode\n",
                 "NAME\n\nx b i a->b t open <>\n\n  verb");
    expect_clean("gutenberg",
                 "head\n*** START OF THE PROJECT GUTENBERG EBOOK X ***\nbody\n*** END OF THE "
                 "PROJECT GUTENBERG EBOOK X ***\nfoot\n",
                 "body");
    expect_clean("gutenberg", "no markers\n", "no markers");
    expect_clean("fortune", "one\ntwo\n%\nthree\n\nfour\n%\n", "one\ntwo\n\nthree\nfour");
    expect_clean("brown",
                 "\n\n\tThe/at ``/`` jury/nn ''/'' said/vbd ,/, (/( yes/rb )/) ./.\n\tNext/ap "
                 "./.\n\n\n\tPara/nn two/cd ./.\n",
                 "The \"jury\" said, (yes). Next.\n\nPara two.");
    expect_clean("man", "LS(1)  User  LS(1)\n\nNAME\n       ls  -  list\n\nGNU   2023   LS(1)\n",
                 "NAME\nls - list");
    expect_clean("vimhelp", "*tag*  Title\nSee |other| now. >\n\tcode\n<\nvim:tw=78:\n",
                 "Title\nSee other now.\n\tcode");
    expect_clean("asciidoc", "[[anchor]]\nSee linkgit:git-log[1].\n--\nifdef::x[]\n",
                 "See git-log(1).");
    expect_clean("wordnet",
                 "  1 licence line\n00001740 03 n 02 entity 0 thing 1 001 @ 00001 n 0000 | that "
                 "which exists\n",
                 "entity, thing (noun): that which exists");
    expect_clean("debdesc",
                 "Package: foo\nDescription-md5: 00\nDescription-en: does foo\n more\n .\n end\n",
                 "foo: does foo\nmore\n\nend");
    expect_clean(
        "osis",
        "<title>T</title>\nA<note>n</note>B <w x=\"1\">c</w>\n<div type=\"x-milestone\"/>d\n",
        "T\n\nA B c\nd");
}

static void test_dictd(void **state) {
    (void)state;
    char dir[] = "/tmp/corpus-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char dict[512], idx[512];
    snprintf(dict, sizeof dict, "%s/d.dict", dir);
    snprintf(idx, sizeof idx, "%s/d.index", dir);
    const char *body = "00-database-info\nlicence\nalpha\n  first\nbeta\n  second\n"
                       "  [PJC]\n";
    FILE *f = fopen(dict, "w");
    fputs(body, f);
    fclose(f);
    /* offsets/lengths in dictd base64: info 0+25, alpha 25+14 ("Z" = 25, "O" = 14),
     * beta 39+21 ("n" = 39, "V" = 21), and a second headword for alpha */
    f = fopen(idx, "w");
    fputs("00-database-info\tA\tZ\nalpha\tZ\tO\nbeta\tn\tV\nalias\tZ\tO\n", f);
    fclose(f);
    struct cbuf out = {0}, nrm = {0};
    char err[256];
    assert_int_equal(clean_dictd(body, strlen(body), dict, &out, err, sizeof err), 0);
    corpus_normalize(out.p, out.n, &nrm);
    assert_int_equal(nrm.n, strlen("alpha\n  first\n\nbeta\n  second"));
    assert_memory_equal(nrm.p, "alpha\n  first\n\nbeta\n  second", nrm.n);
    remove(idx);
    out.n = 0;
    assert_int_equal(clean_dictd(body, strlen(body), dict, &out, err, sizeof err), -1);
    assert_non_null(strstr(err, "d.index"));
    cbuf_free(&out);
    cbuf_free(&nrm);
    remove(dict);
    rmdir(dir);
}

struct pieces {
    char buf[1 << 16];
    size_t len[64], n, total;
};

static void collect(void *ctx, const char *p, size_t n) {
    struct pieces *c = ctx;
    assert_true(c->n < 64);
    memcpy(c->buf + c->total, p, n);
    c->len[c->n++] = n;
    c->total += n;
}

static void test_chunk(void **state) {
    (void)state;
    /* paragraphs of 30, 30, 30 bytes, limit 64: "a\n\nb" fits (62), c goes alone */
    char text[200];
    memset(text, 'x', sizeof text);
    struct span par[3] = {{0, 30}, {40, 30}, {80, 30}};
    static struct pieces c;
    memset(&c, 0, sizeof c);
    corpus_chunk(text, par, 3, 64, collect, &c);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.len[0], 62);
    assert_int_equal(c.len[1], 30);
    /* one 150-byte paragraph of words: cut at spaces into pieces <= 64 */
    for (int i = 0; i < 150; i++) text[i] = (i % 10 == 9) ? ' ' : 'w';
    struct span one = {0, 150};
    memset(&c, 0, sizeof c);
    corpus_chunk(text, &one, 1, 64, collect, &c);
    assert_true(c.n >= 3);
    size_t sum = 0;
    for (size_t i = 0; i < c.n; i++) {
        assert_true(c.len[i] <= 64 && c.len[i] > 0);
        sum += c.len[i] + 1; /* each cut drops one space */
    }
    assert_int_equal(sum - 1, 150);
}

/* --- the whole build on the fixture ---------------------------------------------- */

static char *slurp(const char *path, size_t *n) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)len + 1);
    assert_non_null(p);
    assert_int_equal(fread(p, 1, (size_t)len, f), (size_t)len);
    p[len] = 0;
    fclose(f);
    *n = (size_t)len;
    return p;
}

static size_t count_occurrences(const char *hay, size_t n, const char *needle) {
    size_t k = strlen(needle), c = 0;
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0) c++;
    return c;
}

static int build_fixture(const char *dir, uint64_t seed, unsigned per_mille, char *err,
                         size_t errlen) {
    struct corpus_opts o;
    corpus_opts_default(&o);
    o.list_path = FIX "/docs.tsv";
    o.sources_path = FIX "/sources.tsv";
    o.out_dir = dir;
    o.tier = "test";
    o.seed = seed;
    o.val_per_mille = per_mille;
    return corpus_build(&o, err, errlen);
}

static void rm_out(const char *dir) {
    const char *names[] = {"train.txt", "val.txt", "manifest.json"};
    char p[512];
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        remove(p);
    }
    rmdir(dir);
}

/* every piece NUL-terminated, non-empty, NUL-free inside, at most 16 KiB */
static size_t check_pieces(const char *p, size_t n) {
    assert_true(n > 0);
    assert_int_equal(p[n - 1], '\0');
    size_t start = 0, count = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '\0') {
            assert_true(i > start);
            assert_true(i - start <= 16384);
            start = i + 1;
            count++;
        }
    return count;
}

static void test_build_fixture(void **state) {
    (void)state;
    char d1[] = "/tmp/corpus-build-XXXXXX", d2[] = "/tmp/corpus-build-XXXXXX";
    assert_non_null(mkdtemp(d1));
    assert_non_null(mkdtemp(d2));
    char err[1024], path[600];
    /* per mille 500 so both sides get documents in a fixture this small */
    assert_int_equal(build_fixture(d1, 7, 500, err, sizeof err), 0);
    assert_int_equal(build_fixture(d2, 7, 500, err, sizeof err), 0);
    size_t nt, nv, nt2, nv2, nm;
    snprintf(path, sizeof path, "%s/train.txt", d1);
    char *train = slurp(path, &nt);
    snprintf(path, sizeof path, "%s/val.txt", d1);
    char *val = slurp(path, &nv);
    snprintf(path, sizeof path, "%s/manifest.json", d1);
    char *man = slurp(path, &nm);
    assert_non_null(train);
    assert_non_null(val);
    assert_non_null(man);

    /* determinism: byte-identical outputs */
    snprintf(path, sizeof path, "%s/train.txt", d2);
    char *train2 = slurp(path, &nt2);
    snprintf(path, sizeof path, "%s/val.txt", d2);
    char *val2 = slurp(path, &nv2);
    assert_int_equal(nt, nt2);
    assert_int_equal(nv, nv2);
    assert_memory_equal(train, train2, nt);
    assert_memory_equal(val, val2, nv);

    check_pieces(train, nt);
    if (nv) check_pieces(val, nv);

    /* split by document, with the rule recomputed here */
    static const char *const ids[] = {"fixture-a/alpha.txt",   "fixture-a/beta.html",
                                      "fixture-b/gamma.rst",   "fixture-b/delta.pod",
                                      "fixture-b/epsilon.txt", "fixture-c/long.txt",
                                      "fixture-c/onepara.txt"};
    static const char *const marks[] = {"MARKER-alpha",      "MARKER-beta",    "MARKER-gamma",
                                        "MARKER-delta",      "MARKER-epsilon", "LONG-001",
                                        "LONG-one-paragraph"};
    int sides[2] = {0, 0};
    for (int i = 0; i < 7; i++) {
        int want_val = ref_fnv(ids[i]) % 1000 < 500;
        sides[want_val]++;
        assert_int_equal(count_occurrences(want_val ? val : train, want_val ? nv : nt, marks[i]),
                         1);
        assert_int_equal(count_occurrences(want_val ? train : val, want_val ? nt : nv, marks[i]),
                         0);
    }
    assert_true(sides[0] > 0 && sides[1] > 0); /* the fixture exercises both sides */
    /* a fortune file is a collection: its part is named "fixture-b/zeta#1" */
    int zeta_val = ref_fnv("fixture-b/zeta#1") % 1000 < 500;
    assert_int_equal(count_occurrences(zeta_val ? val : train, zeta_val ? nv : nt, "MARKER-zeta"),
                     1);

    /* the long document: cut into several pieces, all on its side, none lost */
    int long_val = ref_fnv("fixture-c/long.txt") % 1000 < 500;
    const char *ls = long_val ? val : train;
    size_t ln = long_val ? nv : nt;
    for (int k = 1; k <= 120; k++) {
        char tag[16];
        snprintf(tag, sizeof tag, "LONG-%03d.", k);
        assert_int_equal(count_occurrences(ls, ln, tag), 1);
    }
    /* the one-paragraph document (13 KB) ... and Word800 survives the cut */
    int one_val = ref_fnv("fixture-c/onepara.txt") % 1000 < 500;
    assert_int_equal(count_occurrences(one_val ? val : train, one_val ? nv : nt, "Word800 "), 1);

    /* dedup: the paragraph written three times (twice in alpha, once in beta) is kept once */
    const char *dup =
        "This paragraph is repeated word for word later in the same document and in the HTML one.";
    assert_int_equal(count_occurrences(train, nt, dup) + count_occurrences(val, nv, dup), 1);
    /* ... also when wrapped and indented differently (alpha.txt, epsilon.gutenberg) */
    assert_int_equal(count_occurrences(train, nt, "words as another one here.") +
                         count_occurrences(val, nv, "words as another one here."),
                     1);
    /* paragraphs shorter than dedup_min (32 bytes) are never removed */
    assert_int_equal(
        count_occurrences(train, nt, "Short one.") + count_occurrences(val, nv, "Short one."), 2);
    /* boilerplate removed */
    assert_int_equal(
        count_occurrences(train, nt, "boilerplate") + count_occurrences(val, nv, "boilerplate"), 0);
    assert_int_equal(
        count_occurrences(train, nt, "Prev | Up") + count_occurrences(val, nv, "Prev | Up"), 0);

    /* manifest: sources with their metadata and the recorded seed */
    assert_non_null(strstr(man, "\"seed\": 7"));
    assert_non_null(strstr(man, "\"name\": \"fixture-b\""));
    assert_non_null(strstr(man, "\"sha256\": \"1111\""));
    assert_non_null(strstr(man, "\"paragraphs_duplicate\": 2"));

    /* another seed: same pieces, another order */
    rm_out(d2);
    strcpy(d2, "/tmp/corpus-build-XXXXXX");
    assert_non_null(mkdtemp(d2));
    assert_int_equal(build_fixture(d2, 8, 500, err, sizeof err), 0);
    snprintf(path, sizeof path, "%s/train.txt", d2);
    free(train2);
    train2 = slurp(path, &nt2);
    assert_int_equal(nt, nt2);
    assert_int_equal(check_pieces(train, nt), check_pieces(train2, nt2));

    free(train);
    free(val);
    free(man);
    free(train2);
    free(val2);
    rm_out(d1);
    rm_out(d2);
}

static void test_build_errors(void **state) {
    (void)state;
    char d[] = "/tmp/corpus-build-XXXXXX";
    assert_non_null(mkdtemp(d));
    char err[1024], path[600];
    struct corpus_opts o;
    corpus_opts_default(&o);
    o.out_dir = d;
    /* an unreadable document names its path and id, and writes nothing */
    o.list_path = FIX "/missing.tsv";
    assert_int_equal(corpus_build(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "does-not-exist.txt"));
    assert_non_null(strstr(err, "fixture-a/nothere.txt"));
    snprintf(path, sizeof path, "%s/train.txt", d);
    assert_int_equal(access(path, F_OK), -1);
    snprintf(path, sizeof path, "%s/train.txt.tmp", d);
    assert_int_equal(access(path, F_OK), -1);
    /* a missing list */
    o.list_path = FIX "/no-such-list.tsv";
    assert_int_equal(corpus_build(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "no-such-list.tsv"));
    /* bad lines name file and line */
    char list[600];
    snprintf(list, sizeof list, "%s/bad.tsv", d);
    FILE *f = fopen(list, "w");
    fputs("# comment\nsrc\tnot-a-format\tid\tpath\n", f);
    fclose(f);
    o.list_path = list;
    assert_int_equal(corpus_build(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad.tsv:2: unknown format 'not-a-format'"));
    f = fopen(list, "w");
    fputs("src\ttext\tonly-three-fields\n", f);
    fclose(f);
    assert_int_equal(corpus_build(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "bad.tsv:1: expected 4 TAB-separated fields"));
    /* a source missing from the sources file */
    f = fopen(list, "w");
    fprintf(f, "unknown-src\ttext\tx/alpha\t%s/alpha.txt\n", FIX);
    fclose(f);
    o.sources_path = FIX "/sources.tsv";
    assert_int_equal(corpus_build(&o, err, sizeof err), -1);
    assert_non_null(strstr(err, "source 'unknown-src' is not in"));
    remove(list);
    rmdir(d);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fnv_vectors),   cmocka_unit_test(test_normalize),
        cmocka_unit_test(test_clean_formats), cmocka_unit_test(test_dictd),
        cmocka_unit_test(test_chunk),         cmocka_unit_test(test_build_fixture),
        cmocka_unit_test(test_build_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
