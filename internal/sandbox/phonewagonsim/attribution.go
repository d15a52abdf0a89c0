package phonewagonsim

import (
	"fmt"
	"strings"
)

const (
	base64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	hexDigits = "0123456789abcdef"
)

// attribute fills the marketing fields of an inbound call. Like the docs'
// sample, most of them stay empty strings: only the fields of the channel
// the caller came through are set.
func (g *generator) attribute(c *Call, domain string) {
	site := "https://" + domain
	bare := strings.TrimPrefix(domain, "www.")
	switch g.r.IntN(channelCount) {
	case channelGoogleAds:
		c.UserSource = "Google Ads"
		c.GCLID = "Cj0KCQiA" + g.text(base64URL, 40)
		c.Keyword = g.one(g.v.keywords)
		c.MatchType = g.one(g.v.matchTypes)
		c.Network = g.one(g.v.nw)
		c.Device = g.one(g.v.devices)
		c.AdPosition = fmt.Sprintf("1t%d", 1+g.r.IntN(3))
		c.UTMSource, c.UTMMedium = "google", "cpc"
		c.UTMCampaign, c.UTMTerm = slug(c.CampaignName), c.Keyword
		c.LandingPage = site + "/lp/call-now"
		c.ReferralValue = "https://www.google.com/"
	case channelGoogleOrganic:
		c.UserSource = "Google organic"
		c.LandingPage = site + "/"
		c.ReferralValue = "https://www.google.com/"
	case channelYahooOrganic:
		c.UserSource = "Yahoo organic"
		c.LandingPage = site + "/staging.html"
		c.ReferralValue = "http://yahoo.com/yahoo.html"
	case channelBingAds:
		c.UserSource = "Bing Ads"
		c.MSCLKID = g.text(hexDigits, 32)
		c.Keyword = g.one(g.v.keywords)
		c.MatchType = g.one(g.v.matchTypes)
		c.Device = g.one(g.v.devices)
		c.UTMSource, c.UTMMedium = "bing", "cpc"
		c.LandingPage = site + "/lp/call-now"
		c.ReferralValue = "https://www.bing.com/"
	case channelFacebook:
		c.UserSource = "Facebook"
		c.FBCLID = "IwAR" + g.text(base64URL, 57)
		c.UTMSource, c.UTMMedium = "facebook", "paid_social"
		c.UTMCampaign = slug(c.CampaignName)
		if g.r.IntN(2) == 0 {
			c.UTMContent = "video-ad"
		}
		c.LandingPage = site + "/offer"
		c.ReferralValue = "https://m.facebook.com/"
	case channelUnbounce:
		c.UserSource = "Unbounce"
		c.UnbouncePageID = g.uuid()
		c.UnbounceVariantID = g.one([]string{"a", "b", "c"})
		c.UnbounceVisitorID = g.uuid()
		c.LandingPage = "https://get." + bare + "/special"
	case channelReferral:
		c.UserSource = "Referral"
		c.ReferralValue = "https://www.yelp.com/biz/" + strings.TrimSuffix(bare, ".com")
		c.LandingPage = site + "/"
	default:
		c.UserSource = "Direct"
		if g.r.IntN(2) == 0 {
			c.LandingPage = site + "/"
		}
	}
}

// uuid returns a random version-4-looking UUID.
func (g *generator) uuid() string {
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", g.text(hexDigits, 8), g.text(hexDigits, 4),
		g.text(hexDigits, 3), g.text(hexDigits, 3), g.text(hexDigits, 12))
}
