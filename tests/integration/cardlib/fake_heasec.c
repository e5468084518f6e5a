/*
 * A tiny stand-in for the vendor card-reader library (HeaSecReadInfo-style), built by
 * tests/integration/test_cardreader_ctypes.py with gcc.  It implements the two calls the client
 * uses:
 *
 *   int Init(char *pInitInfo, char *pErrMsg);
 *   int ReadCardBas(char *pCardInfo, char *pBusiCardInfo);
 *
 * Mode (from the init JSON "FAKE_MODE", else the FAKE_HEASEC_MODE environment variable):
 *   ok       - returns a fixed card; the name is GBK-encoded, like a Windows vendor DLL
 *   utf8     - the same card with a UTF-8 name
 *   nocard   - ReadCardBas returns -2 and a GBK message in pCardInfo
 *   initfail - Init returns -1 and a GBK message in pErrMsg
 *   garbage  - ReadCardBas returns 0 with a malformed card string
 * pBusiCardInfo echoes the init JSON so the test can check what Init received.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CARD_INFO_SIZE 2048
#define BUSI_INFO_SIZE 8192

static char g_mode[32] = "ok";
static char g_init[1024] = "";
static int g_initialised = 0;

static void pick_mode(const char *init) {
    const char *env = getenv("FAKE_HEASEC_MODE");
    const char *key = strstr(init, "\"FAKE_MODE\"");
    g_mode[0] = '\0';
    if (key) {
        const char *colon = strchr(key + 11, ':');
        const char *q1 = colon ? strchr(colon, '"') : NULL;
        const char *q2 = q1 ? strchr(q1 + 1, '"') : NULL;
        if (q1 && q2 && (size_t)(q2 - q1 - 1) < sizeof(g_mode)) {
            memcpy(g_mode, q1 + 1, (size_t)(q2 - q1 - 1));
            g_mode[q2 - q1 - 1] = '\0';
        }
    }
    if (!g_mode[0]) {
        snprintf(g_mode, sizeof g_mode, "%s", env && *env ? env : "ok");
    }
}

int Init(char *pInitInfo, char *pErrMsg) {
    snprintf(g_init, sizeof g_init, "%s", pInitInfo ? pInitInfo : "");
    pick_mode(g_init);
    if (strcmp(g_mode, "initfail") == 0) {
        /* "读卡器未连接" in GBK */
        strcpy(pErrMsg, "\xb6\xc1\xbf\xa8\xc6\xf7\xce\xb4\xc1\xac\xbd\xd3");
        return -1;
    }
    pErrMsg[0] = '\0';
    g_initialised = 1;
    return 0;
}

int ReadCardBas(char *pCardInfo, char *pBusiCardInfo) {
    const char *name_gbk = "\xc9\xf2\xc3\xf7";            /* 沈明 */
    const char *name_utf8 = "\xe6\xb2\x88\xe6\x98\x8e";    /* 沈明 */
    if (!g_initialised) {
        strcpy(pCardInfo, "not initialised");
        return -9;
    }
    if (strcmp(g_mode, "nocard") == 0) {
        /* "未检测到卡片" in GBK */
        strcpy(pCardInfo, "\xce\xb4\xbc\xec\xb2\xe2\xb5\xbd\xbf\xa8\xc6\xac");
        return -2;
    }
    if (strcmp(g_mode, "garbage") == 0) {
        strcpy(pCardInfo, "330421|only|three");
        pBusiCardInfo[0] = '\0';
        return 0;
    }
    snprintf(pCardInfo, CARD_INFO_SIZE,
             "330421|330421198503150016|X00000019|330421D15600000500BF7C7A48FB4966|%s|"
             "3B6D000080|3.00|20180301|20991231|410100813475|DEV01|",
             strcmp(g_mode, "utf8") == 0 ? name_utf8 : name_gbk);
    snprintf(pBusiCardInfo, BUSI_INFO_SIZE, "%s", g_init);
    return 0;
}
