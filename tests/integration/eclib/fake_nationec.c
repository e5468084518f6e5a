/* A stand-in for NationECCode.dll (reference §6):
 *   const char* NationEcTrans(const char* strUrl, const char* pindata, char* poutdata);
 * returns "0000" on success and writes the answer JSON into poutdata. ec.query answers the recorded
 * openhis stub (real-messages/ecquery-output-openhis.json); cn.nhsa.ec.auth with gainWay FACE the same
 * person with an authNo; anything else a refusal. LastPindata() / LastUrl() give what was received. */
#include <string.h>
#include <stdio.h>

static char last_pin[8192];
static char last_url[1024];

const char *LastPindata(void) { return last_pin; }
const char *LastUrl(void) { return last_url; }

static const char *PERSON =
    "\"userName\":\"\xe7\x8e\x8b*\",\"idNo\":\"13030419841122***\",\"idType\":\"01\",\"insuOrg\":\"130300\","
    "\"ecIndexNo\":\"86F4************************B057\",\"ecToken\":\"130000ecmecib288580f0f1a0a0000e7328251\","
    "\"gender\":null,\"birthday\":null,\"nationality\":null,\"email\":null,"
    "\"chnlId\":\"1DBHJRS5I01E0F34A8C00000B959FA87\"";

const char *NationEcTrans(const char *url, const char *pindata, char *out) {
    snprintf(last_url, sizeof last_url, "%s", url ? url : "");
    snprintf(last_pin, sizeof last_pin, "%s", pindata ? pindata : "");
    if (pindata && strstr(pindata, "\"transType\": \"ec.query\"")) {
        snprintf(out, 8192, "{\"code\":0,\"type\":\"success\",\"message\":\"\xe6\x88\x90\xe5\x8a\x9f\",\"data\":{%s,"
                 "\"ecQrCode\":\"4243754826492874240001130000\",\"authNo\":null}}", PERSON);
        return "0000";
    }
    if (pindata && strstr(pindata, "\"transType\": \"cn.nhsa.ec.auth\"") && strstr(pindata, "\"FACE\"")) {
        snprintf(out, 8192, "{\"code\":0,\"message\":\"ok\",\"data\":{%s,\"ecQrCode\":null,"
                 "\"authNo\":\"AUTH0001\"}}", PERSON);
        return "0000";
    }
    snprintf(out, 8192, "{\"code\":1,\"message\":\"\xe4\xba\xa4\xe6\x98\x93\xe7\xb1\xbb\xe5\x9e\x8b\xe4\xb8\x8d\xe6\x94\xaf\xe6\x8c\x81\",\"data\":\"\"}");
    return "9999";
}
